// In-place updates: every element with data-refresh is re-fetched every data-every ms and its
// content swapped when the server's fragment changed (an htmx-style swap, no build step).
(function () {
  "use strict";
  function watch(element) {
    var url = element.getAttribute("data-refresh");
    var every = parseInt(element.getAttribute("data-every") || "2000", 10);
    var busy = false;
    setInterval(function () {
      if (busy || document.hidden) { return; }
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html !== null && html.trim() !== element.innerHTML.trim()) { element.innerHTML = html; }
        })
        .catch(function () { /* the next tick tries again */ })
        .finally(function () { busy = false; });
    }, every);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-refresh]").forEach(watch);
  });
})();
