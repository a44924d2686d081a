// Generic parameters (`;name=value`, RFC 3261 25.1 generic-param) and the character classes of the
// grammar, done with lookup tables rather than regular expressions: this runs for every message.

/** Parameters by lower-case name, in arrival order; `null` for a flag parameter (`;lr`, `;rport`). */
export type Params = Map<string, string | null>;

const TOKEN = new Uint8Array(256);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~") TOKEN[c.charCodeAt(0)] = 1;

/** RFC 3261 token (method names, parameter names, tags, branches). */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c > 255 || !TOKEN[c]) return false; }
  return true;
}

export function isWs(c: number): boolean { return c === 32 || c === 9 || c === 13 || c === 10; }

/** Index just past the closing quote of the quoted string starting at `i` (a `"`), or -1 if unterminated. */
export function quotedEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 92) j++;
    else if (c === 34) return j + 1;
  }
  return -1;
}

/** Splits at `sep` outside quoted strings (and outside <> when angle is true). */
export function splitOutside(s: string, sep: number, angle = false): string[] {
  const out: string[] = [];
  let start = 0, depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) { const e = quotedEnd(s, i); if (e < 0) { i = s.length; break; } i = e - 1; }
    else if (angle && c === 60) depth++;
    else if (angle && c === 62 && depth > 0) depth--;
    else if (c === sep && depth === 0) { out.push(s.slice(start, i)); start = i + 1; }
  }
  out.push(s.slice(start));
  return out;
}

/**
 * Parses `;a=b ; c ;d = "q"` (leading `;` optional) from index `from` of `s`. Whitespace around `;` and
 * `=` is allowed (SEMI and EQUAL are SWS-delimited, RFC 3261 25.1). Returns null when a name is not a
 * token, a value is empty or has characters no parameter value has, a quote is open, or a parameter
 * is empty (`;;`, a trailing `;`). One pass by index: this runs for every Via and every URI.
 */
export function parseParams(s: string, from = 0): Params | null {
  const out: Params = new Map();
  const n = s.length;
  let i = skipWs(s, from, n);
  if (i === n) return out;
  if (s.charCodeAt(i) === 59) i++;
  for (;;) {
    i = skipWs(s, i, n);
    const ns = i;
    for (let c = s.charCodeAt(i); i < n && c < 256 && TOKEN[c]; c = s.charCodeAt(++i));
    const ne = i;
    if (ne === ns) return null;
    i = skipWs(s, i, n);
    let value: string | null = null;
    if (i < n && s.charCodeAt(i) === 61 /* = */) {
      i = skipWs(s, i + 1, n);
      if (s.charCodeAt(i) === 34 /* " */) {
        const e = quotedEnd(s, i);
        if (e < 0) return null;
        value = s.slice(i, e);
        i = e;
      } else {
        const vs = i;
        for (let c = s.charCodeAt(i); i < n && c !== 59 && !isWs(c); c = s.charCodeAt(++i));
        if (i === vs) return null;
        value = s.slice(vs, i);
        if (!isParamValue(value)) return null;
      }
      i = skipWs(s, i, n);
    }
    const name = s.slice(ns, ne);
    out.set(hasUpper(name) ? name.toLowerCase() : name, value);
    if (i >= n) return out;
    if (s.charCodeAt(i) !== 59) return null;
    i++;
  }
}

function skipWs(s: string, i: number, n: number): number {
  while (i < n && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** Whether an ASCII upper-case letter is in `s` (a lower-case copy is needed only then). */
export function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c >= 65 && c <= 90) return true; }
  return false;
}

/** token / host (IPv6 reference) / escaped chars as found in URI parameters. */
function isParamValue(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c > 255) return false;
    if (TOKEN[c] || c === 58 || c === 91 || c === 93 || c === 47 || c === 64 || c === 38 || c === 36 || c === 61) continue;
    if (c >= 128) continue; // lenient: UTF-8 bytes some devices put in parameters
    return false;
  }
  return true;
}

export function formatParams(p: Params): string {
  let s = "";
  for (const [k, v] of p) s += v === null ? `;${k}` : `;${k}=${v}`;
  return s;
}

/** The text of a quoted string without its quotes and escapes; other strings unchanged. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== 34 || s.charCodeAt(s.length - 1) !== 34) return s;
  let out = "";
  for (let i = 1; i < s.length - 1; i++) {
    const c = s[i];
    if (c === "\\" && i + 1 < s.length - 1) { out += s[i + 1]; i++; }
    else out += c;
  }
  return out;
}

export function quote(s: string): string { return `"${s.replace(/[\\"]/g, (c) => "\\" + c)}"`; }
