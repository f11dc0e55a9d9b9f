/* Workbench and portal: small enhancements; every action works without this file. */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    // An action that was refused: move focus to the message so keyboard and screen-reader users hear it.
    var error = document.getElementById("form-error");
    if (error) error.focus();
    // The checklist's result column follows the ticks before they are saved.
    document.querySelectorAll(".checklist-form tr[data-needs-original]").forEach(function (row) {
      var state = row.querySelector(".col-state");
      function box(suffix) { return row.querySelector("input[name$='-" + suffix + "']"); }
      function update() {
        var original = box("original"), copy = box("copy"), na = box("na");
        var needsOriginal = row.dataset.needsOriginal === "1", needsCopy = row.dataset.needsCopy === "1";
        var hasOriginal = original && original.checked, hasCopy = copy && copy.checked;
        var received = (needsOriginal || needsCopy)
          ? (!needsOriginal || hasOriginal) && (!needsCopy || hasCopy)
          : (hasOriginal || hasCopy);
        var text = na && na.checked ? "不需要" : (received ? "已收齐" : "缺");
        var kind = na && na.checked ? "na" : (received ? "ok" : "missing");
        state.innerHTML = '<span class="state state--' + kind + '">' + text + '</span><span class="unsaved">未保存</span>';
        row.classList.toggle("is-missing", kind === "missing");
        row.classList.toggle("is-received", kind !== "missing");
      }
      row.querySelectorAll("input[type=checkbox]").forEach(function (input) { input.addEventListener("change", update); });
    });
    // A second press on a button while its form is being sent would only meet a Conflict.
    document.querySelectorAll("form[method=post]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.sent === "1") { event.preventDefault(); return; }
        form.dataset.sent = "1";
        window.setTimeout(function () { form.dataset.sent = ""; }, 4000);
      });
    });
  });
})();
