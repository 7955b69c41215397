/* Keireki rules, lite: the same KeirekiRules.test as rules.js for the trees most relevance rules are
   (instruments/rules.py is_lite: text and number literals, references, = != < <= > >=, and, or, not(),
   selected(), count-selected(), starts-with()). A page whose
   rules are all such loads this (under 1 kB) instead of rules.js; same semantics as values.py. */
(function (w) {
 "use strict";
 const NUM = /^[ \t\n\r]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\n\r]*$/, A = Array.isArray;
 const B = v => typeof v === "boolean", N = v => typeof v === "number";
 const str = v => A(v) ? v.join(" ") : B(v) ? (v ? "true" : "false") : String(v);
 const isNum = v => N(v) || (typeof v === "string" && NUM.test(v));
 const num = v => B(v) ? +v : N(v) ? v : NUM.test(str(v)) ? Number(str(v)) : NaN;
 const bool = v => N(v) ? !(v === 0 || v !== v) : B(v) ? v : v.length > 0;
 const sel = v => A(v) ? v : str(v).split(/[ \t\n\r]+/).filter(Boolean);
 function ev(t, g) {
  const o = t[0], a = t[1];
  if (o === "s") return a;
  if (o === "n") return Number(a);
  if (o === "r") { const v = g(a); return A(v) ? v.map(String) : v == null || typeof v === "object" ? "" : v; }
  if (o === "and") return bool(ev(a, g)) && bool(ev(t[2], g));
  if (o === "or") return bool(ev(a, g)) || bool(ev(t[2], g));
  if (o === "f") {
   const v = t.slice(2).map(x => ev(x, g)), b = v.length > 1 ? str(v[1]) : "";
   if (a === "not") return !bool(v[0]);
   if (a === "selected") return sel(v[0]).includes(b);
   if (a === "count-selected") return sel(v[0]).length;
   if (a === "starts-with") return str(v[0]).startsWith(b);
   throw new Error("unknown function " + a);
  }
  let l = ev(a, g), r = ev(t[2], g);
  if (o === "=" || o === "!=") {
   return (B(l) || B(r) ? bool(l) === bool(r) : isNum(l) && isNum(r) ? num(l) === num(r) : str(l) === str(r)) ===
    (o === "=");
  }
  if ((isNum(l) || B(l)) && (isNum(r) || B(r))) { l = num(l); r = num(r); }
  else { l = str(l); r = str(r); if (l === "" || r === "") return false; }
  return o === "<" ? l < r : o === "<=" ? l <= r : o === ">" ? l > r : l >= r;
 }
 w.KeirekiRules = {test: (tree, get) => bool(ev(tree, get || (() => "")))};
})(typeof window !== "undefined" ? window : globalThis);
