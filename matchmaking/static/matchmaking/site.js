/* The pages' small script (a static file: the content security policy allows no inline script).
   Everything works without it; it only moves the focus where the user needs it. */
(function () {
  "use strict";

  function openAncestors(element) {
    for (var details = element.closest("details"); details; details = details.parentElement.closest("details")) {
      details.open = true;
    }
  }

  // After a failed submit, the error summary takes the focus; each of its links focuses its field
  // (the first of a group of checkboxes), opening the list that holds it.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (!target) {
        return;
      }
      var field = target.matches("input, select, textarea, button")
        ? target
        : target.querySelector("input:not([type=hidden]), select, textarea");
      if (!field) {
        return;
      }
      event.preventDefault();
      openAncestors(field);
      var group = field.closest(".field") || target;
      group.scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  // A closed list of choices says in its summary what is chosen.
  document.querySelectorAll("[data-chosen]").forEach(function (chosen) {
    var list = chosen.closest("details");
    list.addEventListener("change", function () {
      var names = Array.prototype.map.call(list.querySelectorAll("input:checked"), function (input) {
        return input.closest("label").textContent.trim();
      });
      chosen.textContent = names.length ? names.join(", ") : chosen.dataset.empty;
    });
  });
})();
