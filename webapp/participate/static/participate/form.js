/* Instant show/hide of questions with the page's compiled relevance rules (KeirekiRules, rules.js, loaded only
   on pages that have such rules).
   The server evaluates the same rules, so the page works without this script. */
(function () {
 "use strict";
 // After a validation error the summary (links to each field) takes the focus, as autofocus does without JS.
 var summary = document.getElementById("err-summary");
 if (summary && document.activeElement !== summary) summary.focus();
 keep(document.getElementById("pf"));
 var block = document.getElementById("rules"), form = document.getElementById("pf") || document.querySelector("form[method=post]");
 if (!block || !form) return;
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
  if (!window.KeirekiRules) return;  // a page without relevance rules does not load rules.js
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
  Array.prototype.forEach.call(form.querySelectorAll(".q,.rep"), function (w) { if (!w.hidden) seen.push(w.id.slice(2)); });
  var input = form.elements._seen || document.createElement("input");
  input.type = "hidden"; input.name = "_seen"; input.value = seen.join(" ");
  if (!input.parentNode) form.appendChild(input);
 });
 form.addEventListener("change", update);
 form.addEventListener("input", update);
 update();

 // Typed answers stay in localStorage (per draft and page) until the server answers the submit (a redirect);
 // put back after a reload; an offline submit is sent on "online"; "leave" clears them (docs/participate.md).
 function keep(f) {
  var S, n = document.getElementById("kept"), E = [].slice;
  function drop(s) { E.call(Object.keys(S)).forEach(function (k) { if (!k.indexOf("kd:") && (!s || /1$/.test(S[k]))) S.removeItem(k); }); }
  try { S = localStorage; } catch (e) { return; }
  E.call(document.querySelectorAll("[data-leave]")).forEach(function (l) { l.onsubmit = function () { drop(); }; });
  if (!f || !f.dataset.draft) return;
  var k = "kd:" + f.dataset.draft + location.pathname, v = performance.getEntriesByType("navigation")[0], o;
  if (v && v.redirectCount) drop(1);
  function ok(e) { return e.name && !/hidden|file|password|submit/.test(e.type); }
  function on(e) { return !/radio|checkbox/.test(e.type) || e.checked; }
  function all() { return JSON.stringify(E.call(f.elements).filter(ok).filter(on).map(function (e) { return [e.name, e.value]; })); }
  function say(a) { n.textContent = n.getAttribute(a); n.hidden = false; f.before(n); }
  function put(s) { try { S.setItem(k, all() + s); } catch (e) { /* full */ } }
  o = (S.getItem(k) || "").slice(0, -1);
  if (o && o !== all()) {
   o = JSON.parse(o);
   E.call(f.elements).filter(ok).forEach(function (e) {
    var p = o.filter(function (p) { return p[0] === e.name; });
    if (/radio|checkbox/.test(e.type)) e.checked = p.some(function (p) { return p[1] === e.value; });
    else if (p.length) e.value = o.splice(o.indexOf(p[0]), 1)[0][1];
   });
   say("data-back");
  }
  f.addEventListener("input", function () { put(0); });
  f.addEventListener("submit", function (ev) {
   put(1);
   if (navigator.onLine) return;
   ev.preventDefault(); say("data-off");
   addEventListener("online", function () { f.requestSubmit(ev.submitter); }, {once: true});
  });
 }
})();
