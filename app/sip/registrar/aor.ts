// Small readers of the address headers the registrar needs (RFC 3261 section 10.3 and 20.10):
// the user part of To/From, a Contact's URI and its expires parameter. Lenient: a camera that
// writes a bare URI without <> is read the same way.
import { detached } from "../message/fields.ts";

/**
 * User part of a SIP URI inside a name-addr or addr-spec; "" when none. The result is a copy, not a
 * slice of the message: it becomes the key of a device in long-lived maps (liveness, addresses), and a
 * slice longer than ~16 characters shares the memory of the whole message text in JavaScriptCore, so
 * 10,000 devices would keep 10,000 old REGISTERs alive (~10 MB).
 */
export function uriUser(v: string | undefined): string {
  if (!v) return "";
  const m = /sips?:([^@;>?\s]+)@/i.exec(v);
  if (!m) return "";
  return m[1].includes("%") ? decodeURIComponent(safeUri(m[1])) : detached(m[1]); // nothing escaped: nothing to decode
}

function safeUri(s: string): string { try { decodeURIComponent(s); return s; } catch { return encodeURIComponent(s); } }

/** The URI of a Contact value (between <> when present, else up to the first ;). */
export function contactUri(v: string): string {
  const a = v.indexOf("<");
  if (a >= 0) { const b = v.indexOf(">", a); return v.slice(a + 1, b < 0 ? undefined : b).trim(); }
  return v.split(";")[0].trim();
}

/** The `expires` parameter of a Contact (after the URI), or undefined. */
export function contactExpires(v: string): string | undefined {
  const b = v.indexOf(">");
  const params = b >= 0 ? v.slice(b + 1) : v.slice(v.indexOf(";") < 0 ? v.length : v.indexOf(";"));
  const m = /;\s*expires\s*=\s*([^;\s,]+)/i.exec(params);
  return m ? m[1] : undefined;
}

/** GB/T 28181-2016 section 9.1.2.1: the 200 OK to REGISTER carries Date as yyyy-MM-ddTHH:mm:ss.SSS (local time). */
export function gbDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
