// Typed reads of the headers every layer needs. Each returns null when the header is missing or
// malformed, so callers decide between 400 and dropping.
import { parseNameAddr, type NameAddr } from "./uri.ts";
import { parseCSeq, parseVia, type CSeq, type Via } from "./via.ts";
import type { SipMessage } from "./types.ts";
import { unquote } from "./params.ts";

export function topVia(m: SipMessage): Via | null {
  const v = m.headers.get("via");
  return v === undefined ? null : parseVia(v);
}

export function cseqOf(m: SipMessage): CSeq | null {
  const v = m.headers.get("cseq");
  return v === undefined ? null : parseCSeq(v);
}

export function callIdOf(m: SipMessage): string | null {
  const v = m.headers.get("call-id");
  return v === undefined || v.length === 0 ? null : v;
}

export function fromOf(m: SipMessage): NameAddr | null {
  const v = m.headers.get("from");
  return v === undefined ? null : parseNameAddr(v);
}

export function toOf(m: SipMessage): NameAddr | null {
  const v = m.headers.get("to");
  return v === undefined ? null : parseNameAddr(v);
}

/** The `tag` parameter of a From/To value, without parsing the whole name-addr when cheap. */
export function tagOf(na: NameAddr | null): string | null {
  return na?.params.get("tag") ?? null;
}

/** Contact values parsed; "*" gives an empty list with star=true (RFC 3261 10.2.2). */
export function contactsOf(m: SipMessage): { star: boolean; contacts: NameAddr[] } | null {
  const vals = m.headers.getAll("contact");
  if (vals.length === 1 && vals[0].trim() === "*") return { star: true, contacts: [] };
  const contacts: NameAddr[] = [];
  for (const v of vals) { const na = parseNameAddr(v); if (!na) return null; contacts.push(na); }
  return { star: false, contacts };
}

/** Expires header as seconds, or null. */
export function expiresOf(m: SipMessage): number | null {
  const v = m.headers.get("expires");
  if (v === undefined || !/^[0-9]{1,10}$/.test(v.trim())) return null;
  return Number(v.trim());
}

/** Content-Type media type in lower case without parameters ("application/manscdp+xml"). */
export function contentTypeOf(m: SipMessage): string | null {
  const v = m.headers.get("content-type");
  if (v === undefined) return null;
  const semi = v.indexOf(";");
  return (semi >= 0 ? v.slice(0, semi) : v).trim().toLowerCase();
}

/** Text of a display name (quotes and escapes removed). */
export function displayText(na: NameAddr): string | null {
  return na.display === null ? null : unquote(na.display);
}

/**
 * A copy of a string that shares no memory with the text it was cut from. In JavaScriptCore a slice
 * longer than ~16 characters shares the buffer of the whole string it came from, so a device ID or a
 * header value kept for long (a map key per device, a cache) would keep its whole message alive.
 */
export function detached(s: string): string { return Buffer.from(s, "utf8").toString("utf8"); }

/** Header text decoded as UTF-8 (values are kept as bytes; see headers.ts). */
export function utf8(value: string): string {
  return Buffer.from(value, "latin1").toString("utf8");
}
