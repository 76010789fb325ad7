// The build's progress bar on a report's page: polls the progress URL while a build is under
// way and reloads the page when it ends, so the draft PDF and the buttons appear.
(function () {
  "use strict";
  var box = document.getElementById("build");
  if (!box || box.dataset.building !== "1") return;
  var bar = box.querySelector("progress");
  var label = box.querySelector(".build-label");
  function poll() {
    fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (progress) {
        bar.value = progress.percent;
        label.textContent = progress.label + " " + progress.percent + "%";
        if (progress.state === "queued" || progress.state === "running") {
          window.setTimeout(poll, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
