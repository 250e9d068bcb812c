// The send form's live counter: asks the server for the figures of the form as typed
// (the same rules as the send itself), a moment after the last keystroke. It opens
// neutral: nothing is asked before something is typed, and a problem with a field
// (no recipients yet, no text yet) is named only once the customer has touched it.
(function () {
  "use strict";
  var form = document.getElementById("send-form");
  var counter = document.getElementById("counter");
  var texts = document.getElementById("counter-texts");
  var dropped = document.getElementById("dropped");
  var quiet = document.getElementById("quiet-note");
  var preview = document.getElementById("group-preview");
  if (!form || !counter || !texts || !window.fetch) return;
  var timer = null;
  var asked = 0;
  var touched = {};

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return key in values ? values[key] : "";
    });
  }

  function show(data) {
    // The counts come worded by the server, in the language's plural forms.
    var parts = [data.size_text];
    if (data.ucs2_because) parts[0] += " (" + fill(texts.dataset.ucs2, {ch: data.ucs2_because}) + ")";
    parts.push(data.recipients_text);
    // Money comes written as the page's language writes it (lib.l10n, on the server).
    parts.push(fill(texts.dataset.price, {
      price: data.price_shown, after: data.balance_after_shown
    }));
    var problem = data.problem && (!data.problem_field || touched[data.problem_field]);
    counter.textContent = parts.join(" · ") + (problem ? " — " + data.problem : "");
    showDropped(data);
    showPreview(data);
    // Quiet hours: null while a check refuses the send (the note stays as it was).
    if (quiet && data.quiet_hours !== null && data.quiet_hours !== undefined) {
      quiet.textContent = data.quiet_hours;
      quiet.hidden = !data.quiet_hours;
    }
    counter.dataset.parts = data.parts;
    counter.dataset.maxParts = data.max_parts;
    counter.dataset.encoding = data.encoding;
    counter.dataset.numbers = data.numbers;
    counter.dataset.price = data.price;
  }

  // The entries left out, each with why (worded by the server), as the page lists them.
  function showDropped(data) {
    if (!dropped) return;
    var list = dropped.querySelector("ul");
    list.textContent = "";
    data.dropped_entries.forEach(function (left) {
      var item = document.createElement("li");
      var entry = document.createElement("code");
      entry.textContent = left.entry;
      item.append(entry, " — " + left.why);
      list.append(item);
    });
    if (data.dropped_more) {
      var more = document.createElement("li");
      more.textContent = data.dropped_more;
      list.append(more);
    }
    dropped.hidden = data.dropped_entries.length === 0;
  }

  // A group send's first personalised texts, as text (a contact's name may hold "<").
  function showPreview(data) {
    if (!preview) return;
    var list = preview.querySelector("ol");
    list.textContent = "";
    (data.preview || []).forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.append(item);
    });
    preview.hidden = !(data.preview && data.preview.length);
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

  function later(event) {
    if (event.target.name) touched[event.target.name] = true;
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  }

  function typed() {
    return ["recipients", "text", "group"].some(function (name) {
      return form.elements[name] && form.elements[name].value.trim() !== "";
    });
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  // A form the browser or a refused send filled in is counted at once; an empty one
  // keeps the neutral sentence until the customer types.
  if (typed()) ask();
})();
