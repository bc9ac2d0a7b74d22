// The outline editor's progressive enhancement (the page works without it): remembers
// where the caret is in a section's commentary, so that a record picked for that section
// is linked there; shows "Insert at the cursor" beside each reference; and makes Enter in
// a picker's search field run that search. Served from /static (no inline script).
(function () {
  "use strict";
  var form = document.getElementById("outline-form");
  if (!form) return;
  var cursor = form.querySelector('input[name="cursor"]');
  var last = null;

  function remember(area) {
    last = area;
    if (cursor) cursor.value = area.getAttribute("data-section") + ":" + area.selectionStart;
  }

  form.querySelectorAll("textarea.commentary").forEach(function (area) {
    ["keyup", "click", "select", "focus", "input"].forEach(function (ev) {
      area.addEventListener(ev, function () { remember(area); });
    });
  });

  form.querySelectorAll("button.insert-ref").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var n = button.getAttribute("data-section");
      var area = form.querySelector('textarea.commentary[data-section="' + n + '"]');
      if (!area) return;
      var text = button.getAttribute("data-syntax") || "";
      var at = last === area ? area.selectionStart : area.value.length;
      var end = last === area ? area.selectionEnd : at;
      area.setRangeText(text, at, end, "end");
      area.focus();
      remember(area);
    });
  });

  form.querySelectorAll("input.find").forEach(function (input) {
    input.addEventListener("keydown", function (e) {
      if (e.key !== "Enter") return;
      var button = input.parentNode.querySelector("button.find-button");
      if (!button) return;
      e.preventDefault();
      if (form.requestSubmit) form.requestSubmit(button); else button.click();
    });
  });

  // Back at the section an operation concerned.
  var focus = document.querySelector("li.outline-section.focus");
  if (focus && !window.location.hash) focus.scrollIntoView({ block: "start" });
})();
