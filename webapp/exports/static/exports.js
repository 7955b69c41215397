// Follows running exports: polls each one's JSON status and reloads the page when one has finished.
(function () {
  "use strict";
  var rows = document.querySelectorAll("tr.export-job[data-status-url]");
  if (!rows.length || !window.fetch) { return; }
  var delay = 1500;
  function poll() {
    var pending = Array.prototype.map.call(rows, function (row) {
      return fetch(row.getAttribute("data-status-url"), {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (st) {
          if (!st) { return false; }
          var bar = row.querySelector("progress");
          var text = row.querySelector(".export-percent");
          if (bar) { bar.value = st.percent; }
          if (text) { text.textContent = st.percent + "%"; }
          return st.status === "done" || st.status === "failed";
        })
        .catch(function () { return false; });
    });
    Promise.all(pending).then(function (finished) {
      if (finished.some(Boolean)) { window.location.reload(); return; }
      delay = Math.min(delay * 1.5, 10000);
      window.setTimeout(poll, delay);
    });
  }
  window.setTimeout(poll, delay);
})();
