// Every panel page: choosing a language submits its form (the button shows without JavaScript).
// A file, not an onchange attribute: the Content-Security-Policy runs no inline script.
(function () {
  "use strict";
  var select = document.querySelector("form.lang select[name=language]");
  if (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  }
})();
