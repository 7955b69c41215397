// The transcript coding page: choose a paragraph with the keyboard (Enter) or a passage with the mouse,
// then save the coding with fetch (the form's CSRF token travels in the FormData). Without this script
// the same form codes whole paragraphs, or the exact words typed into the passage field.
(function () {
  "use strict";
  var list = document.getElementById("paragraphs");
  var form = document.getElementById("coding-form");
  if (!list || !form) { return; }
  var status = document.getElementById("coding-status");
  var field = function (name) { return form.elements.namedItem(name); };

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "status error" : "status";
    status.setAttribute("role", isError ? "alert" : "status");
  }

  function codePoints(text) { return Array.from(text).length; }

  function choose(first, last, start, end, quote) {
    field("first").value = String(first);
    field("last").value = last && last !== first ? String(last) : "";
    field("start").value = start === null ? "" : String(start);
    field("end").value = end === null ? "" : String(end);
    field("quote").value = quote || "";
  }

  list.addEventListener("keydown", function (event) {
    var item = event.target.closest("li.para[data-number]");
    if (!item || (event.key !== "Enter" && event.key !== " ")) { return; }
    event.preventDefault();
    choose(Number(item.dataset.number), null, null, null, "");
    say(form.dataset.chosen ? form.dataset.chosen.replace("%s", item.dataset.number) : "¶" + item.dataset.number);
    field("code").focus();
  });

  // Character offset (in code points) of a DOM position inside a paragraph's text.
  function offsetIn(textBox, node, offset) {
    var range = document.createRange();
    range.selectNodeContents(textBox);
    range.setEnd(node, offset);
    return codePoints(range.toString());
  }

  list.addEventListener("mouseup", function () {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) { return; }
    var range = selection.getRangeAt(0);
    var startItem = range.startContainer.parentElement && range.startContainer.parentElement.closest("li.para[data-number]");
    var endItem = range.endContainer.parentElement && range.endContainer.parentElement.closest("li.para[data-number]");
    if (!startItem || !endItem) { return; }
    var startBox = startItem.querySelector(".para-text");
    var endBox = endItem.querySelector(".para-text");
    if (!startBox.contains(range.startContainer) || !endBox.contains(range.endContainer)) { return; }
    var start = Number(startItem.dataset.start) + offsetIn(startBox, range.startContainer, range.startOffset);
    var end = Number(endItem.dataset.start) + offsetIn(endBox, range.endContainer, range.endOffset);
    if (end <= start) { return; }
    choose(Number(startItem.dataset.number), Number(endItem.dataset.number), start, end, selection.toString().trim());
    say("¶" + startItem.dataset.number + (endItem !== startItem ? "–" + endItem.dataset.number : ""));
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; })
        .then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (!result.ok) { say(result.data.error || form.dataset.refused, true); button.disabled = false; return; }
      window.location.hash = "c-" + result.data.id;
      window.location.reload();
    }).catch(function () {
      say(form.dataset.offline || "Not saved: no connection.", true);
      button.disabled = false;
    });
  });
}());
