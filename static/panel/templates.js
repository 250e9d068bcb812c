// The send form's "Insert template" list: choosing a template puts its text into the
// message field (the counter recounts, as when the customer types); its Insert button,
// which without JavaScript posts the form to insert it, is taken away.
(function () {
  "use strict";
  var select = document.getElementById("id_template");
  var text = document.getElementById("id_text");
  var button = document.getElementById("insert-template");
  if (!select || !text) return;
  // Removed, not hidden: Enter in a field then sends with the form's Send button.
  if (button) button.remove();
  select.addEventListener("change", function () {
    var chosen = select.options[select.selectedIndex];
    if (!chosen || !chosen.value) return;
    text.value = chosen.dataset.text || "";
    text.dispatchEvent(new Event("input", {bubbles: true}));
    text.focus();
  });
})();
