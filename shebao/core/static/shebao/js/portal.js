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

  // Live search: leave empty fields out of the request, so the address that HTMX pushes
  // into the history reads /items/?q=dwcb rather than /items/?q=dwcb&section=&category=.
  document.addEventListener("htmx:configRequest", function (event) {
    var params = event.detail && event.detail.parameters;
    if (!params) return;
    Object.keys(params).forEach(function (key) {
      if (params[key] === "") delete params[key];
    });
  });

  // After HTMX swaps the search results, announce the new count through a persistent
  // status region (not the whole list) and keep the page title in step with the query.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail || !event.detail.target || event.detail.target.id !== "results") return;
    var status = document.getElementById("results-status");
    var count = event.detail.target.querySelector(".results-count, .alert-title, .empty-title");
    if (status && count) status.textContent = count.textContent.replace(/\s+/g, " ").trim();
    var input = document.getElementById("list-q");
    var q = input ? input.value.trim() : "";
    var base = document.title.split(" - ").slice(-1)[0];
    document.title = (q ? "搜索“" + q + "”" : "事项清单") + " - " + base;
  });
})();
