/* Notice page: the 打印 button, and ?print=1 opening the print dialog at once (one click from the case page). */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    document.querySelectorAll(".js-print").forEach(function (el) {
      el.addEventListener("click", function (event) { event.preventDefault(); window.print(); });
    });
    if (document.body.getAttribute("data-auto-print") === "1") {
      window.setTimeout(function () { window.print(); }, 150);
    }
  });
})();
