// The send form's live counter: asks the server for the figures of the form as typed
// (the same rules as the send itself), a moment after the last keystroke.
(function () {
  "use strict";
  var form = document.getElementById("send-form");
  var counter = document.getElementById("counter");
  var texts = document.getElementById("counter-texts");
  if (!form || !counter || !texts || !window.fetch) return;
  var timer = null;
  var asked = 0;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return key in values ? values[key] : "";
    });
  }

  function show(data) {
    var parts = [fill(texts.dataset.summary, {
      chars: data.characters, encoding: data.encoding, parts: data.parts, max: data.max_parts
    })];
    if (data.ucs2_because) parts[0] += " (" + fill(texts.dataset.ucs2, {ch: data.ucs2_because}) + ")";
    parts.push(fill(texts.dataset.recipients, {n: data.numbers, dropped: data.dropped}));
    parts.push(fill(texts.dataset.price, {
      price: data.price, after: Number(data.balance_after).toFixed(2)
    }));
    counter.textContent = parts.join(" · ") + (data.problem ? " — " + data.problem : "");
    counter.dataset.parts = data.parts;
    counter.dataset.maxParts = data.max_parts;
    counter.dataset.encoding = data.encoding;
    counter.dataset.numbers = data.numbers;
    counter.dataset.price = data.price;
  }

  function ask() {
    var body = new FormData(form);
    body.delete("recipients_file");
    var mine = ++asked;
    fetch(form.dataset.estimateUrl, {method: "POST", body: body, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && mine === asked) show(data); })
      .catch(function () {});
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  ask();
})();
