// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // The language menu switches on change; a <noscript> button does it without JavaScript.
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  // The navigation folds behind a button on narrow screens.
  const toggle = document.querySelector(".nav-toggle");
  const nav = document.getElementById("mainnav");
  if (toggle && nav) {
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }
  // SLA countdowns: "2 h 05 min left" / "overdue 1 d 3 h", refreshed every 30 s.
  const counters = document.querySelectorAll(".countdown[data-due]");
  const lang = document.documentElement.lang || "zh-CN";
  const zh = lang.startsWith("zh");
  const words = zh
    ? { d: "天", h: "小时", m: "分", left: "剩余", over: "已超时" }
    : { d: "d", h: "h", m: "min", left: "left", over: "overdue" };
  function span(ms) {
    const minutes = Math.floor(Math.abs(ms) / 60000);
    const d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    const parts = [];
    if (d) parts.push(`${d} ${words.d}`);
    if (d || h) parts.push(`${h} ${words.h}`);
    parts.push(`${m} ${words.m}`);
    return parts.join(" ");
  }
  function tick() {
    const now = Date.now();
    for (const el of counters) {
      const ms = Date.parse(el.dataset.due) - now;
      el.textContent = ms >= 0 ? `${words.left} ${span(ms)}` : `${words.over} ${span(ms)}`;
      el.classList.toggle("overdue", ms < 0);
    }
  }
  if (counters.length) {
    tick();
    setInterval(tick, 30000);
  }
  // Wide tables: a frame that scrolls sideways, and a hint above it while it has more to show
  // (static/css/portal.css). Marked again when the tablet turns.
  const frames = [];
  for (const table of document.querySelectorAll("table.table")) {
    const frame = document.createElement("div");
    frame.className = "table-scroll";
    const hint = document.createElement("p");
    hint.className = "scroll-hint";
    hint.hidden = true;
    hint.textContent = zh ? "← 左右滑动查看更多列 →" : "← Swipe sideways for more columns →";
    table.before(hint, frame);
    frame.append(table);
    frames.push([frame, hint]);
  }
  function markOverflowing() {
    for (const [frame, hint] of frames) {
      const more = frame.scrollWidth > frame.clientWidth + 1;
      frame.classList.toggle("overflowing", more);
      hint.hidden = !more;
    }
  }
  if (frames.length) {
    markOverflowing();
    window.addEventListener("resize", markOverflowing);
  }
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
  // Signing out deletes what the tablet kept for this user (static/js/offline.js): the pages,
  // the rounds entered and queued. Rounds not yet sent are said first.
  for (const logout of document.querySelectorAll(".logout-form")) {
    logout.addEventListener("submit", async (event) => {
      if (!window.indexedDB || !indexedDB.databases || logout.dataset.cleared) return;
      event.preventDefault();
      const names = (await indexedDB.databases()).map((d) => d.name).filter((n) => n && n.startsWith("om-tablet-"));
      const unsent = (await Promise.all(names.map(countUnsent))).reduce((a, b) => a + b, 0);
      if (unsent && !confirm(logout.dataset.unsent.replace("%(count)s", unsent))) return;
      await Promise.all(names.map((name) => request(indexedDB.deleteDatabase(name))));
      if (window.caches) {
        const kept = await caches.keys();
        await Promise.all(kept.filter((n) => n.startsWith("om-")).map((n) => caches.delete(n)));
      }
      if (navigator.serviceWorker) {
        for (const registration of await navigator.serviceWorker.getRegistrations()) await registration.unregister();
      }
      logout.dataset.cleared = "1";
      logout.submit();
    });
  }
});

function request(req) {
  return new Promise((resolve) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = req.onblocked = () => resolve(null);
  });
}

async function countUnsent(name) {
  const db = await request(indexedDB.open(name));
  if (!db) return 0;
  try {
    if (!db.objectStoreNames.contains("outbox")) return 0;
    const entries = await request(db.transaction("outbox").objectStore("outbox").getAll());
    return (entries || []).filter((entry) => entry.state !== "sent").length;
  } finally {
    db.close();
  }
}
