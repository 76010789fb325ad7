// Contract intake: the reading's progress bar (polls the status URL until the text is read,
// then reloads), and on the review page each proposal tied to its marked span in the text.
(function () {
  "use strict";
  var box = document.getElementById("intake-progress");
  if (box) {
    var bar = box.querySelector("progress");
    var label = box.querySelector(".intake-label");
    var poll = function () {
      fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (status) {
          bar.value = status.percent;
          label.textContent = status.label + (status.pages ? " " + status.page + "/" + status.pages : "");
          if (status.status === "queued" || status.status === "reading") {
            window.setTimeout(poll, 1000);
          } else {
            window.location.reload();
          }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    window.setTimeout(poll, 500);
  }

  var text = document.getElementById("intake-text");
  if (!text) return;
  var marks = text.querySelectorAll("mark.span[data-keys]");
  function marksOf(key) {
    return Array.prototype.filter.call(marks, function (mark) {
      return mark.dataset.keys.split(" ").indexOf(key) !== -1;
    });
  }
  function light(key, on) {
    marksOf(key).forEach(function (mark) { mark.classList.toggle("active", on); });
  }
  document.querySelectorAll(".proposal").forEach(function (row) {
    var key = row.dataset.key;
    var keep = row.querySelector("input[type=checkbox]");
    var sync = function () {
      row.classList.toggle("dropped", !keep.checked);
      marksOf(key).forEach(function (mark) { mark.classList.toggle("dropped", !keep.checked); });
    };
    keep.addEventListener("change", sync);
    sync();
    row.addEventListener("mouseenter", function () { light(key, true); });
    row.addEventListener("mouseleave", function () { light(key, false); });
  });
  // A click on a marked span shows its proposal.
  marks.forEach(function (mark) {
    mark.addEventListener("click", function () {
      var row = document.getElementById("p-" + mark.dataset.keys.split(" ")[0]);
      if (row) {
        row.scrollIntoView({ block: "center" });
        row.classList.add("active");
        window.setTimeout(function () { row.classList.remove("active"); }, 1500);
      }
    });
  });
  // The original text opened from a contract's "依据" link: its sentence in view.
  var source = text.querySelector("mark.source");
  if (source) source.scrollIntoView({ block: "center" });
})();
