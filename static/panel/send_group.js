// The send form's group send: the fields a personalised text may use ({imie}, {pole1}…)
// are put where the cursor is in the message when chosen, and the counter recounts as
// when the customer types. The "Recount" button, which without JavaScript posts the form
// to show the counter and the preview, is taken away: the counter is live.
(function () {
  "use strict";
  var text = document.getElementById("id_text");
  var recount = document.getElementById("recount");
  if (recount) recount.remove();
  if (!text) return;
  document.querySelectorAll("#text-fields .field-insert").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = button.dataset.insert || "";
      var start = text.selectionStart, end = text.selectionEnd;
      if (typeof start !== "number") start = end = text.value.length;
      text.value = text.value.slice(0, start) + field + text.value.slice(end);
      text.focus();
      text.setSelectionRange(start + field.length, start + field.length);
      text.dispatchEvent(new Event("input", {bubbles: true}));
    });
  });
})();
