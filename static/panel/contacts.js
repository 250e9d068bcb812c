// The address book's list: a box in the header ticks (or unticks) every contact on the
// page. Without JavaScript the box stays hidden and each contact is ticked on its own.
(function () {
  "use strict";
  var all = document.getElementById("select-page");
  if (!all) {
    return;
  }
  var boxes = document.querySelectorAll("#contact-list input[name=contact]");
  all.hidden = false;
  all.addEventListener("change", function () {
    boxes.forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();
