/* Keireki rules, the functions relevance rules rarely use: loaded after rules.js (which calls them as
   KeirekiRules.more[name](argument trees, get, context)) only by pages whose rules need one of them.
   Same semantics as instruments/expressions/functions.py. */
(function (w) {
 "use strict";
 const R = w.KeirekiRules, {own, isObj, isBool, isNum, norm, str, num, bool, sel, ev} = R._;
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
 // Functions that decide which arguments to evaluate; then those that take the evaluated values, with the
 // first and second as text (s, b).
 const lazy = {
  if: (as, g, c) => ev(as[bool(ev(as[0], g, c)) ? 1 : 2], g, c),
  now: (as, g, c) => c.now || c.today || "",
  position: (as, g, c) => {
   if (!c.position) throw new Error("position(..) outside a repeat");
   return c.position;
  }
 };
 const eager = {
  coalesce: v => v.filter(x => str(x) !== "").concat([""])[0],
  concat: v => v.map(str).join(""),
  "string-length": (v, s) => Array.from(s).length,
  regex: (v, s, b) => new RegExp(b).test(s),
  count: (v, s) => Array.isArray(v[0]) ? v[0].length : s === "" ? 0 : 1,
  int: v => Math.trunc(num(v[0])),
  number: v => num(v[0]),
  string: (v, s) => s,
  boolean: v => bool(v[0]),
  contains: (v, s, b) => s.includes(b),
  "ends-with": (v, s, b) => s.endsWith(b),
  "indexed-repeat": (v, s, b, as) => {
   if (as[0][0] !== "r" || as[1][0] !== "r") throw new Error("indexed-repeat");
   const e = norm(v[1]), i = Math.trunc(num(v[2]));
   const x = Array.isArray(e) && i >= 1 && i <= e.length ? e[i - 1] : null;
   return isObj(x) ? norm(x[as[0][1]]) : "";
  },
  substr: (v, s) => {
   const ch = Array.from(s), st = Math.max(idx(v[1], 0), 0);
   return ch.slice(st, v.length > 2 ? Math.max(Math.min(idx(v[2], ch.length), ch.length), 0) : ch.length).join("");
  },
  translate: (v, s, b) => tr(s, b, str(v[2])),
  "normalize-space": (v, s) => s.replace(/[ \t\n\r]+/g, " ").replace(/^ | $/g, ""),
  round: v => {
   const x = num(v[0]), k = v.length > 1 ? Number("1e" + Math.max(Math.min(idx(v[1], 0), 308), -308)) : 1;
   return !isFinite(x) || !isFinite(x * k) ? x : Math.floor(x * k + 0.5) / k;
  },
  min: v => ext(v, true),
  max: v => ext(v, false),
  sum: v => flat(v).reduce((a, x) => a + num(x), 0),
  once: v => v[0],
  join: (v, s) => flat(v.slice(1)).map(str).join(s),
  "selected-at": v => { const it = sel(v[0]), i = idx(v[1], -1); return i >= 0 && i < it.length ? it[i] : ""; },
  date: v => { const d = day(v[0]); return d ? d.toISOString().slice(0, 10) : ""; },
  "decimal-date-time": v => {
   const f = v[0];
   if (typeof f === "number" || isBool(f)) return num(f);
   const d = days(f);
   return d === null ? NaN : d;
  },
  "format-date": (v, s, b) => {
   const d = day(v[0]);
   if (!d) return "";
   const y = d.getUTCFullYear(), m = d.getUTCMonth(), e = d.getUTCDate(), wd = d.getUTCDay();
   const k = {Y: String(y).padStart(4, "0"), y: two(y % 100), m: two(m + 1), n: String(m + 1), d: two(e),
    e: String(e), b: MON.substr(m * 3, 3), a: DAY.substr(wd * 3, 3)};
   return b.replace(/%([A-Za-z])/g, (x, q) => own(k, q) ? k[q] : x);
  },
  pulldata: () => "",
  "jr:choice-name": (v, s, b, as, c) => {
   const q = b.replace(/^\$\{|\}$/g, "").split("/").pop(), l = c.labels && c.labels[q];
   return l && own(l, s) ? String(l[s]) : "";
  },
  uuid: () => globalThis.crypto && crypto.randomUUID ? crypto.randomUUID() : ""
 };
 Object.assign(R.more, lazy);
 Object.keys(eager).forEach(n => {
  R.more[n] = (as, g, c) => {
   const v = as.map(x => ev(x, g, c));
   return eager[n](v, str(v[0]), v.length > 1 ? str(v[1]) : "", as, c);
  };
 });
})(typeof window !== "undefined" ? window : globalThis);
