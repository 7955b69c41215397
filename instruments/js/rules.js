/* Keireki rules: evaluates compiled expressions (instruments/expressions/compiled.py) as values.py
   does. No eval. API: docs/instruments.md "Expressions in the browser". */
(function (w) {
 "use strict";
 const NUM = /^[ \t\n\r]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\n\r]*$/;
 const isObj = x => x !== null && typeof x === "object" && !Array.isArray(x);
 const isStr = x => typeof x === "string";
 const isBool = x => typeof x === "boolean";
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
 const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k), nodes = v => Array.isArray(v) ? v.slice() : v === "" ? [] : [v];
 function coll(k) { const s = k.filter(x => !isObj(x)); return !s.length ? k : s.length < 2 ? norm(s[0]) : s.map(x => str(norm(x))); }
 const flat = v => v.flatMap(x => Array.isArray(x) ? sel(x) : [x]);
 const idx = (v, d) => { const x = num(v); return x !== x ? d : Math.trunc(Math.max(Math.min(x, 1e15), -1e15)); };
 const ISO = /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?$/;
 const MON = "JanFebMarAprMayJunJulAugSepOctNovDec", DAY = "SunMonTueWedThuFriSat";
 function days(v) {
  const m = ISO.exec(str(v).replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, ""));
  if (!m) return null;
  const p = m.slice(1).map(x => x ? +x : 0), d = new Date(0);
  d.setUTCFullYear(p[0], p[1] - 1, p[2]);
  if (p[0] < 1 || d.getUTCMonth() !== p[1] - 1 || d.getUTCDate() !== p[2] || p[3] > 23 || p[4] > 59 ||
   p[5] > 59) return null;
  return Math.round(d.getTime() / 864e5) + (p[3] * 3600 + p[4] * 60 + p[5]) / 86400;
 }
 function day(v) {
  const x = typeof v === "number" || isBool(v) || isNum(v) ? num(v) : days(v);
  if (x === null || !isFinite(x) || Math.floor(x) < -719162 || Math.floor(x) > 2932896) return null;
  return new Date(Math.floor(x) * 864e5);
 }
 const two = x => String(x).padStart(2, "0");
 function ext(v, small) {
  const n = flat(v).map(num);
  return !n.length || n.some(x => x !== x) ? NaN : small ? Math.min(...n) : Math.max(...n);
 }
 function tr(s, a, b) {
  const t = Object.create(null), to = Array.from(b);
  Array.from(a).forEach((x, i) => { if (!(x in t)) t[x] = i < to.length ? to[i] : ""; });
  return Array.from(s).map(x => x in t ? t[x] : x).join("");
 }
 function fn(n, as, g, c) {
  if (n === "if") return ev(as[bool(ev(as[0], g, c)) ? 1 : 2], g, c);
  if (n === "today") return c.today || "";
  if (n === "true" || n === "false") return n === "true";
  if (n === "now") return c.now || c.today || "";
  if (n === "indexed-repeat") {
   if (as[0][0] !== "r" || as[1][0] !== "r") throw new Error("indexed-repeat");
   const e = norm(g(as[1][1])), i = Math.trunc(num(ev(as[2], g, c)));
   const x = Array.isArray(e) && i >= 1 && i <= e.length ? e[i - 1] : null;
   return isObj(x) ? norm(x[as[0][1]]) : "";
  }
  if (n === "position") {
   if (!c.position) throw new Error("position(..) outside a repeat");
   return c.position;
  }
  const v = as.map(x => ev(x, g, c)), f = v[0], s = str(f), b = v.length > 1 ? str(v[1]) : "";
  switch (n) {
   case "coalesce": return v.filter(x => str(x) !== "").concat([""])[0];
   case "concat": return v.map(str).join("");
   case "not": return !bool(f);
   case "selected": return sel(f).includes(b);
   case "count-selected": return sel(f).length;
   case "string-length": return Array.from(s).length;
   case "regex": return new RegExp(b).test(s);
   case "count": return Array.isArray(f) ? f.length : s === "" ? 0 : 1;
   case "int": return Math.trunc(num(f));
   case "number": return num(f);
   case "string": return s;
   case "contains": return s.includes(b);
   case "starts-with": return s.startsWith(b);
   case "ends-with": return s.endsWith(b);
   case "substr": {
    const ch = Array.from(s), st = Math.max(idx(v[1], 0), 0);
    return ch.slice(st, v.length > 2 ? Math.max(Math.min(idx(v[2], ch.length), ch.length), 0) : ch.length).join("");
   }
   case "translate": return tr(s, b, str(v[2]));
   case "normalize-space": return s.replace(/[ \t\n\r]+/g, " ").replace(/^ | $/g, "");
   case "boolean": return bool(f);
   case "round": {
    const x = num(f), k = v.length > 1 ? Number("1e" + Math.max(Math.min(idx(v[1], 0), 308), -308)) : 1;
    return !isFinite(x) || !isFinite(x * k) ? x : Math.floor(x * k + 0.5) / k;
   }
   case "min": return ext(v, true);
   case "max": return ext(v, false);
   case "sum": return flat(v).reduce((a, x) => a + num(x), 0);
   case "once": return f;
   case "join": return flat(v.slice(1)).map(str).join(s);
   case "selected-at": { const it = sel(f), i = idx(v[1], -1); return i >= 0 && i < it.length ? it[i] : ""; }
   case "date": { const d = day(f); return d ? d.toISOString().slice(0, 10) : ""; }
   case "decimal-date-time": { if (typeof f === "number" || isBool(f)) return num(f); const d = days(f); return d === null ? NaN : d; }
   case "format-date": {
    const d = day(f);
    if (!d) return "";
    const y = d.getUTCFullYear(), m = d.getUTCMonth(), e = d.getUTCDate(), w = d.getUTCDay();
    const k = {Y: String(y).padStart(4, "0"), y: two(y % 100), m: two(m + 1), n: String(m + 1), d: two(e),
     e: String(e), b: MON.substr(m * 3, 3), a: DAY.substr(w * 3, 3)};
    return b.replace(/%([A-Za-z])/g, (x, q) => has(k, q) ? k[q] : x);
   }
   case "pulldata": return "";
   case "jr:choice-name": {
    const q = b.replace(/^\$\{|\}$/g, "").split("/").pop(), l = c.labels && c.labels[q];
    return l && has(l, s) ? String(l[s]) : "";
   }
   case "uuid": return globalThis.crypto && crypto.randomUUID ? crypto.randomUUID() : "";
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
   case "c": return norm(c.choice && has(c.choice, a) ? c.choice[a] : "");
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
 const evaluate = (tree, get, ctx) => ev(tree, get || (() => ""), ctx || {});
 w.KeirekiRules = {
  evaluate,
  test: (tree, get, ctx) => bool(evaluate(tree, get, ctx)),
  text: (tree, get, ctx) => str(evaluate(tree, get, ctx))
 };
})(typeof window !== "undefined" ? window : globalThis);
