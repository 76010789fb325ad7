// The engineer's tablet. The round's form posts without this script; with it, numbers out of
// range turn red as they are typed, photos are previewed and checked for size before the upload,
// an abnormal item opens its incident with one tap, and the ledger is updated and searched in
// place, so nothing typed into the checklist is lost by a page load.
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", () => {
  const root = document.querySelector(".tablet.round");
  if (!root) return;
  const messagesElement = document.getElementById("tablet-messages");
  const words = messagesElement ? JSON.parse(messagesElement.textContent) : {};
  const say = (key, params = {}) =>
    (words[key] || key).replace(/%\((\w+)\)s/g, (_, name) => (name in params ? params[name] : ""));
  const tokenInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  const csrf = tokenInput ? tokenInput.value : "";
  const maxBytes = Number(root.dataset.photoMax || 0);
  const accepted = ["image/jpeg", "image/png", "image/webp"];

  async function post(url, body) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        body,
        headers: { "X-CSRFToken": csrf, Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch {
      // fetch only throws when nothing came back: the tablet lost the network.
      const error = new Error(say("offline"));
      error.offline = true;
      throw error;
    }
    let data = {};
    try {
      data = await response.json();
    } catch {
      data = {};
    }
    if (!response.ok) {
      const errors = data.errors ? Object.values(data.errors).flat() : [response.statusText || String(response.status)];
      throw new Error(errors.join(" "));
    }
    return data;
  }

  // Numbers: red, and said so, while outside the item's normal range.
  function parseNumber(text) {
    // Full-width digits and point from a Chinese keyboard count as the ASCII ones.
    const ascii = text.trim().replace(/[\uFF10-\uFF19\uFF0E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
    return /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(ascii) ? Number(ascii) : null;
  }
  function checkRange(input) {
    const item = input.closest(".round-item");
    const value = parseNumber(input.value);
    const min = input.dataset.min === "" ? null : Number(input.dataset.min);
    const max = input.dataset.max === "" ? null : Number(input.dataset.max);
    const out = value !== null && ((min !== null && value < min) || (max !== null && value > max));
    input.classList.toggle("out-of-range", out);
    const warning = item.querySelector(".range-warning");
    if (warning) warning.hidden = !out;
    item.classList.toggle("abnormal", out);
  }
  for (const input of root.querySelectorAll(".number-input")) {
    input.addEventListener("input", () => checkRange(input));
    checkRange(input);
  }

  // Normal / abnormal: the whole item shows the choice.
  function markCheck(item) {
    const abnormal = item.querySelector("input[type=radio][value=abnormal]");
    if (abnormal) item.classList.toggle("abnormal", abnormal.checked);
  }
  for (const item of root.querySelectorAll(".round-item-check")) {
    item.addEventListener("change", () => markCheck(item));
    markCheck(item);
  }

  // Photos: previews, and files the server would refuse are left out before the upload.
  for (const input of root.querySelectorAll(".photo-input")) {
    const previews = input.parentElement.querySelector(".photo-previews");
    input.addEventListener("change", () => {
      previews.replaceChildren();
      const kept = new DataTransfer();
      for (const file of input.files) {
        let refusal = null;
        if (!accepted.includes(file.type)) refusal = say("not_image", { name: file.name });
        else if (maxBytes && file.size > maxBytes) refusal = say("too_large", { name: file.name });
        if (refusal) {
          const note = document.createElement("p");
          note.className = "photo-refused";
          note.textContent = refusal;
          previews.append(note);
          continue;
        }
        kept.items.add(file);
        const image = document.createElement("img");
        image.alt = file.name;
        image.src = URL.createObjectURL(file);
        image.addEventListener("load", () => URL.revokeObjectURL(image.src), { once: true });
        previews.append(image);
      }
      if (kept.files.length !== input.files.length) input.files = kept.files;
    });
  }

  // Abnormal → incident: opened at once, its id kept in the form for the submission.
  for (const button of root.querySelectorAll(".incident-button")) {
    button.addEventListener("click", async () => {
      const item = button.closest(".round-item");
      const errors = item.querySelector(".item-errors");
      const abnormal = item.querySelector("input[type=radio][value=abnormal]");
      if (abnormal) {
        abnormal.checked = true;
        markCheck(item);
      }
      const body = new FormData();
      const note = item.querySelector("input[name$='-note']");
      const value = item.querySelector(".number-input, textarea");
      body.append("note", note ? note.value : "");
      body.append("value", value ? value.value : "");
      button.disabled = true;
      errors.replaceChildren();
      try {
        const incident = await post(button.dataset.url, body);
        item.querySelector(".incident-id").value = incident.id;
        const link = item.querySelector(".incident-link");
        link.href = incident.url;
        link.textContent = say("opened", { number: incident.number });
        link.hidden = false;
        button.hidden = true;
        link.focus();
      } catch (error) {
        if (error.offline) {
          // offline.js asks for the incident with the round, once the network is back.
          item.dispatchEvent(new CustomEvent("incident-offline", { bubbles: true }));
          button.hidden = true;
          return;
        }
        const line = document.createElement("li");
        line.textContent = say("failed", { reason: error.message || say("offline") });
        errors.append(line);
        button.disabled = false;
      }
    });
  }

  // One submission: a second tap while the photos upload would be refused anyway.
  const roundForm = document.getElementById("round-form");
  if (roundForm) {
    roundForm.addEventListener("submit", () => {
      const submit = roundForm.querySelector("button[type=submit]");
      setTimeout(() => (submit.disabled = true), 0);
    });
  }

  // The ledger: saved, searched and paged in place.
  const ledger = document.getElementById("ledger");
  if (!ledger) return;
  ledger.addEventListener("submit", async (event) => {
    const form = event.target;
    if (form.classList.contains("asset-form")) {
      event.preventDefault();
      const message = form.querySelector(".asset-message");
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      message.className = "asset-message small";
      try {
        const asset = await post(form.action, new FormData(form));
        const row = form.closest(".asset-row");
        const badge = row.querySelector(".asset-status");
        badge.className = `badge asset-${asset.status} asset-status`;
        badge.textContent = asset.status_label;
        if (asset.remark) {
          row.querySelector(".asset-remark-text").textContent = asset.remark;
          row.querySelector(".asset-remark").hidden = false;
        }
        form.querySelector("input[name=remark]").value = "";
        message.textContent = say("saved");
        message.classList.add("ok");
      } catch (error) {
        message.textContent = say("failed", { reason: error.message || say("offline") });
        message.classList.add("bad");
      } finally {
        button.disabled = false;
      }
    } else if (form.classList.contains("ledger-search")) {
      event.preventDefault();
      load(new URLSearchParams(new FormData(form)).toString());
    }
  });
  ledger.addEventListener("click", (event) => {
    const link = event.target.closest(".ledger-pages a");
    if (!link) return;
    event.preventDefault();
    load(new URL(link.href).search.slice(1));
  });
  async function load(query) {
    try {
      const response = await fetch(`${ledger.dataset.url}?${query}`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      ledger.innerHTML = await response.text();
      const search = ledger.querySelector("input[type=search]");
      if (search) search.focus();
    } catch (error) {
      // Stay on the page: loading it again would lose the checklist typed so far.
      const note = document.createElement("p");
      note.className = "asset-message bad";
      note.setAttribute("role", "alert");
      note.textContent = say("failed", { reason: say("offline") });
      ledger.querySelector(".ledger-search").after(note);
    }
  }
});
