/* The participant's page of questions (kept short: every page within 15 kB with its CSS and JS).
   - After a validation error the summary (links to each field) takes the focus, as autofocus does without JS.
   - Instant show/hide of questions with the page's compiled relevance rules (KeirekiRules, rules.js, loaded
     only on pages that have such rules). The server evaluates the same rules: the page works without this.
   - A language link saves what is typed on this page first (the server redirects to the page in that language).
   - On submit, "_seen" tells the server which questions were on screen (what this script showed is not
     "newly shown" after Next).
   - Typed answers stay in localStorage (per draft and page) until the server answers the submit (a redirect);
     put back after a reload; an offline submit is sent on "online"; "leave" clears them (docs/participate.md). */
(() => {
 "use strict";
 const D = document, $ = i => D.getElementById(i), A = (s, r) => [...(r || D).querySelectorAll(s)];
 const own = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
 const s = $("err-summary"), pf = $("pf"), f = pf || D.querySelector("form[method=post]"), b = $("rules");
 if (s && D.activeElement !== s) s.focus();
 keep(pf);
 if (!b || !f) return;
 const data = JSON.parse(b.textContent), rules = data.rules || {}, known = data.answers || {};
 // A question's value as the rules see it: text, the chosen option, or the list of ticked ones.
 function value(n) {
  let e = f.elements[n], out = [], multi = false;
  if (!e) return own(known, n) ? known[n] : "";
  for (const x of e.tagName ? [e] : e) {
   if (x.type === "checkbox") { multi = x.value !== "yes"; if (x.checked) out.push(x.value); }
   else if (x.type === "radio") { if (x.checked) return x.value; }
   else return x.value;
  }
  return multi ? out : out[0] || "";
 }
 function update() {
  const R = window.KeirekiRules;
  if (R) for (const n in rules) {
   const w = $("w-" + n);
   if (!w) continue;
   try { w.hidden = !R.test(rules[n], value, {today: data.today}); } catch (e) { w.hidden = false; }
  }
 }
 if (pf) A(".langs a").forEach(a => a.addEventListener("click", ev => {
  ev.preventDefault(); add("action", "lang:" + a.lang, 1); f.submit();
 }));
 // A hidden field: a new one (the form's buttons are named "action" too), or the one added before.
 function add(n, v, fresh) {
  const i = !fresh && f.elements[n] || f.appendChild(D.createElement("input"));
  i.type = "hidden"; i.name = n; i.value = v;
 }
 f.addEventListener("submit", () => add("_seen", A(".q,.rep", f).filter(w => !w.hidden).map(w => w.id.slice(2)).join(" ")));
 f.addEventListener("change", update);
 f.addEventListener("input", update);
 update();

 function keep(f) {
  let S, o;
  const n = $("kept");
  const drop = m => Object.keys(S).forEach(k => { if (!k.indexOf("kd:") && (!m || /1$/.test(S[k]))) S.removeItem(k); });
  try { S = localStorage; } catch (e) { return; }
  A("[data-leave]").forEach(l => { l.onsubmit = () => drop(); });
  if (!f || !f.dataset.draft) return;
  // Per draft, page and part of it (?part=2: other questions, the same path).
  const k = "kd:" + f.dataset.draft + location.pathname + (/[?&]part=\d+/.exec(location.search) || [""])[0];
  const v = performance.getEntriesByType("navigation")[0];
  if (v && v.redirectCount) drop(1);
  const ok = e => e.name && !/hidden|file|password|submit/.test(e.type);
  const el = () => [...f.elements].filter(ok);
  const all = () => JSON.stringify(el().filter(e => !/radio|checkbox/.test(e.type) || e.checked).map(e => [e.name, e.value]));
  const say = a => { n.textContent = n.getAttribute(a); n.hidden = false; f.before(n); };
  const put = m => { try { S.setItem(k, all() + m); } catch (e) { /* full */ } };
  o = (S.getItem(k) || "").slice(0, -1);
  if (o && o !== all()) {
   o = JSON.parse(o);
   el().forEach(e => {
    const p = o.filter(p => p[0] === e.name);
    if (/radio|checkbox/.test(e.type)) e.checked = p.some(p => p[1] === e.value);
    else if (p.length) e.value = o.splice(o.indexOf(p[0]), 1)[0][1];
   });
   say("data-back");
  }
  f.addEventListener("input", () => put(0));
  f.addEventListener("submit", ev => {
   put(1);
   if (navigator.onLine) return;
   ev.preventDefault(); say("data-off");
   addEventListener("online", () => f.requestSubmit(ev.submitter), {once: true});
  });
 }
})();
