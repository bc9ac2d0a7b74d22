// The editing forms' progressive enhancement (the forms work without it): asks before
// leaving a form whose fields were changed and not saved, and moves the focus to the list
// of problems when a refused form comes back. Served from /static (no inline script).
(function () {
  "use strict";
  var summary = document.querySelector("div.error-summary");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
  var changed = false;
  var sending = false;
  document.querySelectorAll("form.edit-form").forEach(function (form) {
    form.addEventListener("input", function () { changed = true; });
    form.addEventListener("change", function () { changed = true; });
    form.addEventListener("submit", function () { sending = true; });
  });
  window.addEventListener("beforeunload", function (event) {
    if (changed && !sending) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
