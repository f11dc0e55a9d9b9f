/* shebao public portal — small progressive enhancements. Every function works without this file. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    // "打印本指南": only shown when a script can call the print dialog.
    document.querySelectorAll(".js-print").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });

    // Skip link: move focus to <main> so screen readers start reading there.
    var skip = document.querySelector(".skip-link");
    var main = document.getElementById("main");
    if (skip && main) {
      skip.addEventListener("click", function () { main.focus(); });
    }
  });

  // After HTMX swaps search results, tell screen readers how many were found
  // (the results region is aria-live) and keep the page title in step with the query.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail || !event.detail.target || event.detail.target.id !== "results") return;
    var input = document.getElementById("list-q");
    var q = input ? input.value.trim() : "";
    var base = document.title.split(" - ").slice(-1)[0];
    document.title = (q ? "搜索“" + q + "”" : "事项清单") + " - " + base;
  });
})();
