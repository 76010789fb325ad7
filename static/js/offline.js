// The inspection pages keep working with no network (issue: rounds in machine rooms and basements).
//
// - A service worker (/inspections/sw.js) keeps the pages and their files, so a round opened once
//   online opens again offline; the Today page asks it to keep its rounds' pages too.
// - Everything entered in a round (answers, notes, photos shrunk on the device, the moment each
//   answer was entered) is kept in IndexedDB as it is entered: a reload, a crash or a tablet that
//   sleeps finds the round as it was left.
// - A submitted round goes into an outbox with an id made here. It is sent at once, on load, when
//   the browser says the network is back, and every 15 s while a page is open, with a growing
//   pause after each failure; the server takes the same id as the same round, so a retry or a
//   second tab never records it twice. What waits and what was sent is listed on the page.
// - A round the server refuses keeps its copy on the tablet with the reason: a validation error
//   brings the round back into its form (photos included) with a summary at the top; a round
//   someone else already submitted can be exported or deleted.
// Each user has a store of their own, and signing out deletes it (static/js/portal.js).
(() => {
  const root = document.querySelector(".tablet[data-user]");
  if (!root || !("indexedDB" in window) || !window.idb) return;

  const wordsElement = document.getElementById("offline-words");
  const words = wordsElement ? JSON.parse(wordsElement.textContent) : {};
  const say = (key, params = {}) =>
    (words[key] || key).replace(/%\((\w+)\)s/g, (_, name) => (name in params ? params[name] : ""));

  const user = root.dataset.user;
  const dbPromise = idb.openDB(`om-tablet-u${user}`, 1, {
    upgrade(db) {
      db.createObjectStore("drafts", { keyPath: "slot" });
      db.createObjectStore("outbox", { keyPath: "client_id" });
    },
    // Signing out deletes the store (portal.js): this page lets go of it rather than block that.
    blocking(_current, _blocked, event) {
      event.target.close();
    },
  });
  const SYNC_EVERY_MS = 15000;
  const MAX_PAUSE_MS = 5 * 60 * 1000;
  const KEEP_SENT_MS = 3 * 24 * 3600 * 1000;
  const PHOTO_EDGE = 1600; // px: enough to read a label or a meter in the ledger
  const PHOTO_QUALITY = 0.85;

  if ("serviceWorker" in navigator && root.dataset.sw) {
    navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.scope }).catch(() => {});
  }

  const localTime = (iso) => {
    const d = new Date(iso);
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  };
  const newId = () =>
    crypto.randomUUID
      ? crypto.randomUUID()
      : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
          (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16),
        );

  // --- Photos are shrunk before they are kept --------------------------------------------------

  async function shrink(file) {
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(1, PHOTO_EDGE / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.type === "image/jpeg") return file;
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", PHOTO_QUALITY));
      if (!blob || blob.size >= file.size) return file;
      const name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
      return new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified });
    } catch {
      return file; // not an image the browser decodes: the server says why it is refused
    }
  }

  // --- The round's form: kept as it is entered, restored on load --------------------------------

  const form = document.getElementById("round-form");
  const slot = root.dataset.slot;
  let restoring = false;
  let saveTimer = null;
  const entered = {}; // item name → the device's moment of its last entry
  const incidents = {}; // item name → open its incident when the round is sent

  function itemName(element) {
    const item = element.closest(".round-item");
    return item ? item.id : null;
  }

  async function draftOf() {
    const fields = [];
    const files = [];
    for (const element of form.elements) {
      if (!element.name || element.name === "csrfmiddlewaretoken" || element.disabled) continue;
      if (element.type === "file") {
        for (const file of element.files) files.push([element.name, file]);
      } else if (element.type === "radio" || element.type === "checkbox") {
        if (element.checked) fields.push([element.name, element.value]);
      } else if (element.type !== "submit" && element.type !== "button") {
        fields.push([element.name, element.value]);
      }
    }
    return { slot, fields, files, entered: { ...entered }, incidents: { ...incidents }, saved_at: new Date().toISOString() };
  }

  async function saveDraft() {
    if (!form || restoring) return;
    const db = await dbPromise;
    await db.put("drafts", await draftOf());
  }
  const saveSoon = () => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveDraft, 250);
  };

  function fill(fields, files) {
    restoring = true;
    const byName = new Map();
    for (const [name, value] of fields) byName.set(name, value);
    for (const element of form.elements) {
      if (!element.name || element.name === "csrfmiddlewaretoken") continue;
      if (element.type === "file") {
        const transfer = new DataTransfer();
        for (const [name, file] of files) if (name === element.name) transfer.items.add(file);
        element.files = transfer.files;
        element.dispatchEvent(new Event("change", { bubbles: true }));
      } else if (element.type === "radio" || element.type === "checkbox") {
        element.checked = byName.get(element.name) === element.value;
        element.dispatchEvent(new Event("change", { bubbles: true }));
      } else if (byName.has(element.name) && element.type !== "submit") {
        element.value = byName.get(element.name);
        element.dispatchEvent(new Event("input", { bubbles: true }));
      }
    }
    restoring = false;
  }

  function note(text, kind = "info") {
    const box = document.getElementById("round-error-summary");
    if (!box) return;
    box.replaceChildren();
    const line = document.createElement("p");
    line.textContent = text;
    box.append(line);
    box.classList.toggle("info", kind === "info");
    box.hidden = false;
  }

  // Errors by field, as the server sends them: a summary on top with a link to each item.
  function showErrors(errors) {
    const box = document.getElementById("round-error-summary");
    for (const list of form.querySelectorAll(".item-errors")) list.replaceChildren();
    for (const item of form.querySelectorAll(".round-item.has-error")) item.classList.remove("has-error");
    box.replaceChildren();
    box.classList.remove("info");
    const head = document.createElement("p");
    head.textContent = say("errors");
    const list = document.createElement("ul");
    let first = null;
    for (const [key, messages] of Object.entries(errors || {})) {
      const texts = messages.map((m) => (typeof m === "string" ? m : m.message));
      const item = document.getElementById(key.replace(/-(note|incident|entered_at)$/, ""));
      for (const text of texts) {
        const line = document.createElement("li");
        if (item && item.classList.contains("round-item")) {
          const link = document.createElement("a");
          link.href = `#${item.id}`;
          const label = item.querySelector(".round-item-label");
          link.textContent = `${label ? label.textContent.replace(/\s*\*$/, "") : key}: ${text}`;
          line.append(link);
          const own = document.createElement("li");
          own.textContent = text;
          item.querySelector(".item-errors").append(own);
          item.classList.add("has-error");
          first = first || item;
        } else {
          line.textContent = text;
        }
        list.append(line);
      }
    }
    box.append(head, list);
    box.hidden = false;
    box.focus();
    if (first) {
      first.scrollIntoView({ block: "center" });
      const input = first.querySelector("input:not([type=hidden]), textarea");
      if (input) input.focus({ preventScroll: true });
    } else {
      box.scrollIntoView({ block: "start" });
    }
  }

  if (form) {
    form.addEventListener("input", (event) => {
      const name = itemName(event.target);
      if (name && !restoring) entered[name] = new Date().toISOString();
      saveSoon();
    });
    form.addEventListener("change", (event) => {
      const target = event.target;
      const name = itemName(target);
      if (name && !restoring) entered[name] = new Date().toISOString();
      if (target.type === "file" && !restoring) {
        // After tablet.js has left out the files the server would refuse.
        setTimeout(async () => {
          const transfer = new DataTransfer();
          for (const file of target.files) transfer.items.add(await shrink(file));
          restoring = true;
          target.files = transfer.files;
          restoring = false;
          saveDraft();
        }, 0);
      } else {
        saveSoon();
      }
    });
    // tablet.js could not reach the server for the one-tap incident: ask for it with the round.
    form.addEventListener("incident-offline", (event) => {
      const item = event.target.closest(".round-item");
      incidents[item.id] = true;
      const errors = item.querySelector(".item-errors");
      errors.replaceChildren();
      const line = document.createElement("li");
      line.className = "queued-note";
      line.textContent = say("incident_queued");
      errors.append(line);
      saveDraft();
    });
    form.addEventListener(
      "submit",
      async (event) => {
        event.preventDefault();
        event.stopImmediatePropagation();
        const button = form.querySelector("button[type=submit]");
        button.disabled = true;
        const draft = await draftOf();
        const entry = {
          client_id: newId(),
          slot,
          url: root.dataset.sync,
          page: location.pathname,
          title: `${root.querySelector(".slot-contract")?.textContent || ""} ${document.querySelector("h1")?.textContent || ""}`.trim(),
          fields: draft.fields.filter(([name]) => !/-(entered_at|open_incident)$/.test(name)),
          files: draft.files,
          entered: draft.entered,
          incidents: draft.incidents,
          device_at: new Date().toISOString(),
          state: "waiting",
          attempts: 0,
          next_at: 0,
        };
        const db = await dbPromise;
        const tx = db.transaction(["outbox", "drafts"], "readwrite");
        await Promise.all([tx.objectStore("outbox").put(entry), tx.objectStore("drafts").delete(slot), tx.done]);
        const sent = await send(entry, true);
        if (sent.state === "sent") {
          location.assign(root.dataset.scope); // Today, saying the round was recorded
          return;
        }
        button.disabled = false;
        if (sent.state === "refused") {
          await backToForm(sent);
        } else if (sent.state === "waiting") {
          note(sent.session_ended ? say("sign_in") : say("queued"));
        }
        render();
      },
      { capture: true },
    );
  }

  // A refused round goes back into its form, the outbox keeping no copy of it: the form is the copy.
  async function backToForm(entry) {
    const db = await dbPromise;
    const tx = db.transaction(["outbox", "drafts"], "readwrite");
    const draft = { slot: entry.slot, fields: entry.fields, files: entry.files, entered: entry.entered, incidents: entry.incidents, saved_at: new Date().toISOString() };
    await Promise.all([tx.objectStore("drafts").put(draft), tx.objectStore("outbox").delete(entry.client_id), tx.done]);
    if (form && entry.slot === slot) {
      fill(entry.fields, entry.files);
      Object.assign(entered, entry.entered || {});
      Object.assign(incidents, entry.incidents || {});
      showErrors(entry.errors);
    }
  }

  // --- Sending ------------------------------------------------------------------------------

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function body(entry) {
    const data = new FormData();
    for (const [name, value] of entry.fields) data.append(name, value);
    for (const [name, file] of entry.files) data.append(name, file, file.name);
    for (const [name, moment] of Object.entries(entry.entered || {})) data.append(`${name}-entered_at`, moment);
    for (const name of Object.keys(entry.incidents || {})) data.append(`${name}-open_incident`, "on");
    data.append("client_id", entry.client_id);
    data.append("device_at", entry.device_at);
    return data;
  }

  const sending = new Set();

  async function send(entry, now = false) {
    if (sending.has(entry.client_id)) return entry;
    sending.add(entry.client_id);
    const db = await dbPromise;
    let response = null;
    try {
      response = await fetch(entry.url, {
        method: "POST",
        body: body(entry),
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json", ...(now ? { "X-Round-Submit": "now" } : {}) },
        credentials: "same-origin",
        redirect: "manual",
      });
    } catch {
      response = null; // no network
    }
    let data = {};
    if (response && (response.headers.get("Content-Type") || "").includes("json")) {
      try {
        data = await response.json();
      } catch {
        data = {};
      }
    }
    entry.session_ended = false;
    if (response && (response.status === 200 || response.status === 201) && data.run) {
      Object.assign(entry, { state: "sent", received_at: data.received_at, status_label: data.status_label, run: data.run });
      entry.files = []; // recorded on the server: the tablet's copy of the photos can go
    } else if (response && (response.status === 400 || response.status === 403) && data.errors) {
      Object.assign(entry, { state: "refused", errors: data.errors });
    } else if (response && response.status === 409) {
      Object.assign(entry, { state: "conflict", errors: data.errors || {} });
    } else {
      // No network, a server error, or a session that ended (the login page answers): later.
      entry.session_ended = Boolean(response && (response.type === "opaqueredirect" || response.status === 403));
      entry.attempts += 1;
      const pause = Math.min(MAX_PAUSE_MS, 5000 * 2 ** Math.min(entry.attempts, 10));
      entry.next_at = Date.now() + pause * (0.75 + Math.random() * 0.5);
      entry.state = "waiting";
    }
    await db.put("outbox", entry);
    sending.delete(entry.client_id);
    return entry;
  }

  async function syncAll(force = false) {
    const db = await dbPromise;
    const now = Date.now();
    for (const entry of await db.getAll("outbox")) {
      if (entry.state === "sent" && now - Date.parse(entry.device_at) > KEEP_SENT_MS) {
        await db.delete("outbox", entry.client_id);
      } else if (entry.state === "waiting" && (force || entry.next_at <= now)) {
        const done = await send(entry);
        if (done.state === "refused" && form && done.slot === slot) await backToForm(done);
      }
    }
    render();
  }

  // --- What the tablet holds, on the page ---------------------------------------------------

  function exportEntry(entry) {
    const readers = entry.files.map(
      ([name, file]) =>
        new Promise((resolve) => {
          const reader = new FileReader();
          reader.onload = () => resolve({ field: name, name: file.name, data_url: reader.result });
          reader.readAsDataURL(file);
        }),
    );
    Promise.all(readers).then((photos) => {
      const { files, ...rest } = entry;
      const blob = new Blob([JSON.stringify({ ...rest, photos }, null, 2)], { type: "application/json" });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = `round-${entry.slot}-${entry.client_id.slice(0, 8)}.json`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    });
  }

  async function render() {
    const panel = document.getElementById("sync-status");
    if (!panel) return;
    const db = await dbPromise;
    let entries = await db.getAll("outbox");
    if (slot) entries = entries.filter((entry) => entry.slot === slot);
    entries.sort((a, b) => (a.device_at < b.device_at ? 1 : -1));
    const network = document.getElementById("sync-network");
    network.textContent = navigator.onLine ? say("online") : say("offline");
    network.className = `badge sync-network ${navigator.onLine ? "is-online" : "is-offline"}`;
    const list = document.getElementById("sync-list");
    list.replaceChildren();
    for (const entry of entries) {
      const line = document.createElement("li");
      line.className = `sync-entry sync-${entry.state}`;
      line.dataset.clientId = entry.client_id;
      const title = document.createElement("a");
      title.href = entry.page;
      title.textContent = entry.title || entry.page;
      const state = document.createElement("span");
      state.className = "sync-state";
      const reason = Object.values(entry.errors || {}).flat().map((m) => (typeof m === "string" ? m : m.message)).join(" ");
      state.textContent = {
        waiting: `${say("waiting")}${entry.attempts ? ` · ${say("retry_at", { at: localTime(entry.next_at) })}` : ""}`,
        sent: say("sent", { at: entry.received_at || "" }),
        refused: say("refused", { reason }),
        conflict: say("conflict", { reason }),
      }[entry.state];
      const meta = document.createElement("span");
      meta.className = "muted small";
      meta.textContent = say("queued_at", { at: localTime(entry.device_at) }) + (entry.files.length ? ` · ${say("photos", { count: entry.files.length })}` : "");
      line.append(title, " ", state, " ", meta);
      if (entry.state === "conflict") {
        const exportButton = document.createElement("button");
        exportButton.type = "button";
        exportButton.className = "secondary";
        exportButton.textContent = say("export");
        exportButton.addEventListener("click", () => exportEntry(entry));
        const discard = document.createElement("button");
        discard.type = "button";
        discard.className = "link-button";
        discard.textContent = say("discard");
        discard.addEventListener("click", async () => {
          if (!confirm(say("confirm_discard"))) return;
          await db.delete("outbox", entry.client_id);
          render();
        });
        line.append(" ", exportButton, " ", discard);
      }
      list.append(line);
    }
    panel.hidden = entries.length === 0 && navigator.onLine;
  }

  // --- Start ----------------------------------------------------------------------------------

  async function start() {
    const db = await dbPromise;
    if (form) {
      // A round refused while the tablet was elsewhere comes back into its form here.
      const refused = (await db.getAll("outbox")).find((e) => e.slot === slot && e.state === "refused");
      const draft = refused ? null : await db.get("drafts", slot);
      if (refused) await backToForm(refused);
      if (draft) {
        fill(draft.fields, draft.files);
        Object.assign(entered, draft.entered || {});
        Object.assign(incidents, draft.incidents || {});
        for (const name of Object.keys(incidents)) {
          const item = document.getElementById(name);
          if (item) item.dispatchEvent(new CustomEvent("incident-offline", { bubbles: true }));
        }
        note(say("restored"));
      }
    }
    if (navigator.onLine && navigator.serviceWorker) {
      // Keep this page (its first load came before the worker was there to keep it) and, on
      // the Today page, its rounds' pages, for when the network is gone.
      const rounds = [...document.querySelectorAll(".slot-card .slot-actions a[href]")].map((a) => a.href);
      navigator.serviceWorker.ready.then((registration) => {
        if (registration.active) registration.active.postMessage({ type: "keep-pages", urls: [location.href, ...rounds] });
      });
    }
    await syncAll(true);
  }

  window.addEventListener("online", () => syncAll(true));
  window.addEventListener("offline", render);
  setInterval(() => syncAll(false), SYNC_EVERY_MS);
  start();
})();
