/* Instant show/hide of questions with the page's compiled relevance rules (KeirekiRules, rules.js).
   The server evaluates the same rules, so the page works without this script. */
(function () {
 "use strict";
 // After a validation error the summary (links to each field) takes the focus, as autofocus does without JS.
 var summary = document.getElementById("err-summary");
 if (summary && document.activeElement !== summary) summary.focus();
 keep(document.getElementById("pf"));
 var block = document.getElementById("rules"), form = document.getElementById("pf") || document.querySelector("form[method=post]");
 if (!block || !form || !window.KeirekiRules) return;
 var data = JSON.parse(block.textContent), rules = data.rules || {}, known = data.answers || {};
 function value(name) {
  var els = form.elements[name];
  if (!els) return Object.prototype.hasOwnProperty.call(known, name) ? known[name] : "";
  if (els.tagName) els = [els];
  var out = [], multi = false;
  for (var i = 0; i < els.length; i++) {
   var e = els[i];
   if (e.type === "checkbox") { multi = e.value !== "yes"; if (e.checked) out.push(e.value); }
   else if (e.type === "radio") { if (e.checked) return e.value; }
   else return e.value;
  }
  return multi ? out : (out[0] || "");
 }
 function update() {
  Object.keys(rules).forEach(function (name) {
   var w = document.getElementById("w-" + name), show;
   if (!w) return;
   try { show = KeirekiRules.test(rules[name], value, {today: data.today}); } catch (e) { show = true; }
   w.hidden = !show;
  });
 }
 // A language link saves what is typed on this page first (the server redirects to the page in that language).
 if (form.id === "pf") Array.prototype.forEach.call(document.querySelectorAll(".langs a"), function (a) {
  a.addEventListener("click", function (ev) {
   var input = document.createElement("input");
   input.type = "hidden"; input.name = "action"; input.value = "lang:" + a.getAttribute("hreflang");
   form.appendChild(input); ev.preventDefault(); form.submit();
  });
 });
 // Tell the server which questions were on screen: what this script showed is not "newly shown" after Next.
 form.addEventListener("submit", function () {
  var seen = [];
  Array.prototype.forEach.call(form.querySelectorAll("[data-q]"), function (w) { if (!w.hidden) seen.push(w.getAttribute("data-q")); });
  var input = form.elements._seen || document.createElement("input");
  input.type = "hidden"; input.name = "_seen"; input.value = seen.join(" ");
  if (!input.parentNode) form.appendChild(input);
 });
 form.addEventListener("change", update);
 form.addEventListener("input", update);
 update();

 // Typed answers stay in localStorage (per draft and page) until the server answers the submit (a redirect);
 // put back after a reload; an offline submit is sent on "online"; "leave" clears them (docs/participants.md).
 function keep(form) {
  var S, note = document.getElementById("kept"), L = "kd:", each = Array.prototype.forEach;
  try { S = localStorage; S.getItem(L); } catch (e) { return; }
  function drop(sent) {
   for (var i = S.length - 1; i >= 0; i--) { var k = S.key(i); if (!k.indexOf(L) && (!sent || /"s":1}$/.test(S.getItem(k)))) S.removeItem(k); }
  }
  each.call(document.querySelectorAll("form[data-leave]"), function (f) { f.addEventListener("submit", function () { drop(); }); });
  if (!form || !form.dataset.draft) return;
  var key = L + form.dataset.draft + location.pathname, nav = performance.getEntriesByType("navigation")[0];
  if (nav && nav.redirectCount) drop(1);
  function skip(e) { return !e.name || /hidden|file|password|submit/.test(e.type); }
  function pairs() {
   var out = [];
   each.call(form.elements, function (e) { if (!skip(e) && (!/radio|checkbox/.test(e.type) || e.checked)) out.push([e.name, e.value]); });
   return out;
  }
  function say(what) { note.textContent = note.getAttribute(what); note.hidden = false; form.parentNode.insertBefore(note, form); }
  function put(s) { try { S.setItem(key, JSON.stringify({f: pairs(), s: s})); } catch (e) { /* full */ } }
  var old = JSON.parse(S.getItem(key) || "0"), left = {};
  if (old && JSON.stringify(old.f) !== JSON.stringify(pairs())) {
   old.f.forEach(function (p) { (left[p[0]] = left[p[0]] || []).push(p[1]); });
   each.call(form.elements, function (e) {
    var v = left[e.name];
    if (skip(e) || !v) return;
    if (/radio|checkbox/.test(e.type)) e.checked = v.indexOf(e.value) >= 0; else if (v.length) e.value = v.shift();
   });
   say("data-back");
  }
  form.addEventListener("input", function () { put(0); });
  form.addEventListener("change", function () { put(0); });
  form.addEventListener("submit", function (ev) {
   put(1);
   if (navigator.onLine) return;
   ev.preventDefault(); say("data-off");
   var by = ev.submitter;
   addEventListener("online", function () { form.requestSubmit(by); }, {once: true});
  });
 }
})();
