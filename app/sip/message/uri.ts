// SIP URIs (RFC 3261 19.1) and name-addr / addr-spec values (RFC 3261 20.10, 25.1) as used by From,
// To, Contact, Route and Record-Route. Parsers return null on bad syntax, never throw.
import { formatParams, isToken, isWs, parseParams, quotedEnd, type Params } from "./params.ts";

export interface Uri {
  /** Lower-case scheme: "sip", "sips", or another (tel, urn, http) kept opaque. */
  scheme: string;
  user: string | null;
  password: string | null;
  host: string;
  port: number | null;
  params: Params;
  /** Raw `?h=v&...` part without the "?", or null. */
  headers: string | null;
  /** For non-SIP schemes: everything after "scheme:". */
  opaque: string | null;
}

const HOSTCH = new Uint8Array(256);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") HOSTCH[c.charCodeAt(0)] = 1;

function validHost(h: string): boolean {
  if (h.length === 0) return false;
  if (h.charCodeAt(0) === 91) { // [IPv6]
    if (h.charCodeAt(h.length - 1) !== 93) return false;
    for (let i = 1; i < h.length - 1; i++) { const c = h.charCodeAt(i); if (!(c === 58 || c === 46 || (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false; }
    return true;
  }
  for (let i = 0; i < h.length; i++) { const c = h.charCodeAt(i); if (c > 255 || !HOSTCH[c]) return false; }
  return true;
}

function hasWsOrCtl(s: string): boolean {
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c <= 32 || c === 127 || c === 60 || c === 62 || c === 34) return true; }
  return false;
}

/** Parses "host", "host:port" or "[v6]:port". */
export function parseHostPort(s: string): { host: string; port: number | null } | null {
  let host = s, port: number | null = null;
  const close = s.lastIndexOf("]");
  const colon = s.lastIndexOf(":");
  if (colon > close && (s.charCodeAt(0) === 91 || s.indexOf(":") === colon)) {
    host = s.slice(0, colon);
    const p = s.slice(colon + 1);
    if (p.length === 0 || p.length > 5) return null;
    for (let i = 0; i < p.length; i++) { const c = p.charCodeAt(i); if (c < 48 || c > 57) return null; }
    port = Number(p);
    if (port > 65535) return null;
  }
  return validHost(host) ? { host, port } : null;
}

/** Parses a URI. SIP/SIPS are taken apart; other schemes are kept opaque. */
export function parseUri(s: string): Uri | null {
  if (s.length === 0 || hasWsOrCtl(s)) return null;
  const colon = s.indexOf(":");
  if (colon <= 0) return null;
  const scheme = s.slice(0, colon).toLowerCase();
  for (let i = 0; i < scheme.length; i++) { const c = scheme.charCodeAt(i); if (!((c >= 97 && c <= 122) || (i > 0 && ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)))) return null; }
  const rest = s.slice(colon + 1);
  if (scheme !== "sip" && scheme !== "sips") {
    return rest ? { scheme, user: null, password: null, host: "", port: null, params: new Map(), headers: null, opaque: rest } : null;
  }
  // userinfo: up to the first "@" ("@" must be escaped inside the user part; the user part may hold
  // "?", ";" and "," unescaped, RFC 3261 25.1 user-unreserved). If what follows is no host, the "@"
  // belonged to the URI headers (sip:host?subject=a@b) and there is no userinfo.
  const at = rest.indexOf("@");
  if (at >= 0) {
    const r = hostPart(rest.slice(at + 1));
    if (r) {
      const ui = rest.slice(0, at);
      const pc = ui.indexOf(":");
      const user = pc >= 0 ? ui.slice(0, pc) : ui;
      if (user.length === 0) return null;
      return { scheme, user, password: pc >= 0 ? ui.slice(pc + 1) : null, host: r.host, port: r.port, params: r.params, headers: r.headers, opaque: null };
    }
    if (rest.indexOf("?") < 0 || rest.indexOf("?") > at) return null;
  }
  const r = hostPart(rest);
  return r ? { scheme, user: null, password: null, host: r.host, port: r.port, params: r.params, headers: r.headers, opaque: null } : null;
}

function hostPart(hp: string): { host: string; port: number | null; params: Params; headers: string | null } | null {
  let headers: string | null = null;
  const q = hp.indexOf("?");
  if (q >= 0) { headers = hp.slice(q + 1); hp = hp.slice(0, q); }
  const semi = hp.indexOf(";");
  const params = semi >= 0 ? parseParams(hp, semi) : new Map<string, string | null>();
  if (!params) return null;
  const h = parseHostPort(semi >= 0 ? hp.slice(0, semi) : hp);
  if (!h) return null;
  return { host: h.host, port: h.port, params, headers };
}

export function formatUri(u: Uri): string {
  if (u.opaque !== null) return `${u.scheme}:${u.opaque}`;
  let s = u.scheme + ":";
  if (u.user !== null) s += u.user + (u.password !== null ? ":" + u.password : "") + "@";
  s += u.host;
  if (u.port !== null) s += ":" + u.port;
  s += formatParams(u.params);
  if (u.headers !== null) s += "?" + u.headers;
  return s;
}

export interface NameAddr {
  /** Display name as written (quoted string kept with its quotes), or null. */
  display: string | null;
  uri: Uri;
  /** Header parameters (tag, expires, q, ...). */
  params: Params;
  /** True when the URI was in angle brackets. */
  angle: boolean;
}

/**
 * Parses name-addr or addr-spec with header parameters. Without <>, everything after the first ";"
 * is a header parameter, and a URI with "," or "?" must have been bracketed (RFC 3261 20.10).
 */
export function parseNameAddr(value: string): NameAddr | null {
  const s = value.trim();
  if (s.length === 0) return null;
  let i = 0;
  let display: string | null = null;
  if (s.charCodeAt(0) === 34) {
    const e = quotedEnd(s, 0);
    if (e < 0) return null;
    display = s.slice(0, e);
    i = e;
    while (i < s.length && isWs(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 60) return null;
  }
  const lt = s.indexOf("<", i);
  const firstSemi = s.indexOf(";");
  if (lt >= 0 && (display !== null || firstSemi < 0 || lt < firstSemi)) {
    if (display === null) {
      const d = s.slice(0, lt).trim();
      if (d.length) {
        for (const word of d.split(/[ \t]+/)) if (!isDisplayToken(word)) return null;
        display = d;
      }
    }
    const gt = s.indexOf(">", lt);
    if (gt < 0) return null;
    const uri = parseUri(s.slice(lt + 1, gt));
    if (!uri) return null;
    const params = parseParams(s, gt + 1);
    if (!params) return null;
    const after = s.slice(gt + 1).trim();
    if (after.length && after.charCodeAt(0) !== 59) return null;
    return { display, uri, params, angle: true };
  }
  const semi = s.indexOf(";");
  const spec = semi >= 0 ? s.slice(0, semi).trim() : s;
  if (spec.indexOf("?") >= 0 || spec.indexOf(",") >= 0) return null;
  const uri = parseUri(spec);
  if (!uri) return null;
  const params = semi >= 0 ? parseParams(s, semi) : new Map<string, string | null>();
  if (!params) return null;
  return { display: null, uri, params, angle: false };
}

/** A display-name word: a token, or (leniently) raw non-ASCII bytes some devices send unquoted. */
function isDisplayToken(w: string): boolean {
  if (isToken(w)) return true;
  for (let i = 0; i < w.length; i++) { const c = w.charCodeAt(i); if (c < 128 && !isToken(w[i])) return false; }
  return true;
}

export function formatNameAddr(na: NameAddr): string {
  const uri = formatUri(na.uri);
  const body = na.angle || na.display !== null || na.uri.params.size || na.uri.headers !== null ? `<${uri}>` : uri;
  return (na.display !== null ? na.display + " " : "") + body + formatParams(na.params);
}
