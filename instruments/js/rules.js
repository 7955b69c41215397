/* Keireki rules: evaluates compiled expressions (instruments/expressions/compiled.py) as values.py
   does. No eval. API: docs/instruments.md "Expressions in the browser".
   This file has the operators and the few functions most relevance rules use (instruments/rules.py
   CORE_FUNCTIONS); the others are in rules-more.js, which a page loads after this one only when its
   rules call one of them (every page counts its scripts towards its 15 kB). */
(function (w) {
 "use strict";
 const NUM = /^[ \t\n\r]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\n\r]*$/;
 const isObj = x => x !== null && typeof x === "object" && !Array.isArray(x);
 const isStr = x => typeof x === "string";
 const isBool = x => typeof x === "boolean";
 const own = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
 function norm(v) {
  const t = typeof v;
  if (t === "string" || t === "boolean" || t === "number") return v;
  if (Array.isArray(v)) return v.map(x => isObj(x) ? x : str(norm(x)));
  return "";
 }
 function str(v) {
  if (isBool(v)) return v ? "true" : "false";
  if (typeof v === "number") return String(v);
  if (Array.isArray(v)) return v.filter(isStr).join(" ");
  return v;
 }
 const isNum = v => typeof v === "number" || (isStr(v) && NUM.test(v));
 function num(v) {
  if (isBool(v)) return v ? 1 : 0;
  if (typeof v === "number") return v;
  const s = str(v);
  return NUM.test(s) ? Number(s) : NaN;
 }
 function bool(v) {
  if (isBool(v)) return v;
  if (typeof v === "number") return !(v === 0 || v !== v);
  return v.length > 0;
 }
 const sel = v => Array.isArray(v) ? v.filter(isStr) : str(v).split(/[ \t\n\r]+/).filter(Boolean);
 function eq(a, b) {
  if (isBool(a) || isBool(b)) return bool(a) === bool(b);
  if (isNum(a) && isNum(b)) return num(a) === num(b);
  return str(a) === str(b);
 }
 function cmp(op, a, b) {
  let x, y;
  if ((isNum(a) || isBool(a)) && (isNum(b) || isBool(b))) {
   x = num(a); y = num(b);
  } else {
   x = str(a); y = str(b);
   if (x === "" || y === "") return false;
  }
  return op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
 }
 // node-sets ([ ], /x, |): evaluator.py nodes_of, collapse
 const has = own, nodes = v => Array.isArray(v) ? v.slice() : v === "" ? [] : [v];
 function coll(k) { const s = k.filter(x => !isObj(x)); return !s.length ? k : s.length < 2 ? norm(s[0]) : s.map(x => str(norm(x))); }
 const R = w.KeirekiRules = {more: {}, _: {own, isObj, isStr, isBool, isNum, norm, str, num, bool, sel}};
 R._.ev = (t, g, c) => ev(t, g, c);
 function fn(n, as, g, c) {
  if (n === "true" || n === "false") return n === "true";
  if (n === "today") return c.today || "";
  if (own(R.more, n)) return R.more[n](as, g, c);
  const v = as.map(x => ev(x, g, c)), f = v[0], b = v.length > 1 ? str(v[1]) : "";
  switch (n) {
   case "not": return !bool(f);
   case "selected": return sel(f).includes(b);
   case "count-selected": return sel(f).length;
   case "starts-with": return str(f).startsWith(b);
  }
  throw new Error("unknown function " + n);
 }
 function ev(t, g, c) {
  const o = t[0], a = t[1];
  switch (o) {
   case "n": return Number(a);
   case "s": return a;
   case "r": return norm(g(a));
   case ".": return norm(c.value);
   case "..": return "";
   case "c": return norm(c.choice && own(c.choice, a) ? c.choice[a] : "");
   case "neg": return -num(ev(a, g, c));
   case "and": return bool(ev(a, g, c)) && bool(ev(t[2], g, c));
   case "or": return bool(ev(a, g, c)) || bool(ev(t[2], g, c));
   case "f": return fn(a, t.slice(2), g, c);
   case "[]": return coll(nodes(ev(a, g, c)).filter((x, i) => {
    const o = isObj(x), p = ev(t[2], g, Object.assign({}, c, {choice: o ? x : {}, value: o ? "" : x, position: i + 1}));
    return typeof p === "number" ? p === i + 1 : bool(p);
   }));
   case "/": return coll(nodes(ev(a, g, c)).flatMap(x => {
    const v = isObj(x) && has(x, t[2]) ? [norm(x[t[2]])] : [];
    return v.length && Array.isArray(v[0]) && v[0].length && v[0].every(isObj) ? v[0] : v;
   }));
   case "|": { const l = nodes(ev(a, g, c)); return coll(l.concat(nodes(ev(t[2], g, c)).filter(x => !l.includes(x) || !isObj(x)))); }
  }
  const l = ev(a, g, c), r = ev(t[2], g, c), x = num(l), y = num(r);
  switch (o) {
   case "=": return eq(l, r);
   case "!=": return !eq(l, r);
   case "+": return x + y;
   case "-": return x - y;
   case "*": return x * y;
   case "div": return x / y;
   case "mod": return x % y;
  }
  return cmp(o, l, r);
 }
 R.evaluate = (tree, get, ctx) => ev(tree, get || (() => ""), ctx || {});
 R.test = (tree, get, ctx) => bool(R.evaluate(tree, get, ctx));
 R.text = (tree, get, ctx) => str(R.evaluate(tree, get, ctx));
})(typeof window !== "undefined" ? window : globalThis);
