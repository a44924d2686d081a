// Semantic checks of a parsed request before any user sees it (RFC 3261 8.2, 16.3; RFC 4475 3.1.2).
// The parser accepts what is well-framed; this decides what deserves 400, 505 or 416.
import { cseqOf, fromOf, toOf, topVia } from "./fields.ts";
import { parseNameAddr, parseUri } from "./uri.ts";
import type { SipRequest, SipResponse } from "./types.ts";
import type { Via } from "./via.ts";

export interface Rejection {
  status: number;
  reason: string;
  /** False when the request lacks what a response is built from (top Via, Call-ID, CSeq, From, To). */
  answerable: boolean;
}

/** Whether a response can be built for this request (RFC 3261 8.2.6.2 copies these headers). */
export function answerable(req: SipRequest, via?: Via | null): boolean {
  const h = req.headers;
  return (via !== undefined ? via : topVia(req)) !== null && h.has("call-id") && h.has("cseq") && h.has("from") && h.has("to");
}

const SINGLE: Record<string, number> = { "call-id": 1, cseq: 2, from: 4, to: 8, "max-forwards": 16, "content-type": 32, expires: 64 };

/** Null when the request is acceptable; otherwise the status to answer with. `via`: the parsed top Via, if at hand. */
export function checkRequest(req: SipRequest, via?: Via | null): Rejection | null {
  const can = answerable(req, via);
  const reject = (status: number, reason: string): Rejection => ({ status, reason, answerable: can });
  if (!can) return reject(400, "Missing Via, Call-ID, CSeq, From or To");
  if (req.version.toUpperCase() !== "SIP/2.0") return reject(505, "Version Not Supported");
  const h = req.headers;
  // Single-valued headers must not repeat (one pass over the fields).
  let seen = 0;
  for (const f of h.fields) {
    const bit = SINGLE[f.key];
    if (bit === undefined) continue;
    if (seen & bit) return reject(400, `Duplicate ${f.name} header`);
    seen |= bit;
  }
  const cseq = cseqOf(req);
  if (!cseq) return reject(400, "Bad CSeq");
  if (cseq.method !== req.method) return reject(400, "CSeq method does not match the request method");
  const from = h.get("from")!, to = h.get("to")!; // present: answerable() checked
  if (!validFrom.has(from)) { if (!fromOf(req)) return reject(400, "Bad From header"); validFrom.add(from); }
  if (!validTo.has(to)) { if (!toOf(req)) return reject(400, "Bad To header"); validTo.add(to); }
  const mf = h.get("max-forwards");
  if (mf !== undefined && !/^[0-9]{1,10}$/.test(mf.trim())) return reject(400, "Bad Max-Forwards");
  if (mf !== undefined && Number(mf.trim()) > 255) return reject(400, "Bad Max-Forwards");
  const ex = h.get("expires");
  if (ex !== undefined && !/^[0-9]{1,10}$/.test(ex.trim())) return reject(400, "Bad Expires");
  if (ex !== undefined && Number(ex.trim()) > 0xffffffff) return reject(400, "Bad Expires");
  const date = h.get("date");
  if (date !== undefined && !/ GMT$/.test(date.trim())) return reject(400, "Bad Date (must be GMT)");

  if (!validRuri.has(req.uri)) {
    const ruri = parseUri(req.uri);
    if (!ruri) return reject(400, "Bad Request-URI");
    if (ruri.scheme !== "sip" && ruri.scheme !== "sips" && ruri.scheme !== "tel") return reject(416, "Unsupported URI Scheme");
    // RFC 3261 19.1.1: URI headers are not allowed in a Request-URI.
    if (ruri.headers !== null) return reject(400, "Headers not allowed in Request-URI");
    validRuri.add(req.uri);
  }

  for (const c of h.getAll("contact")) {
    if (validContact.has(c) || c.trim() === "*") continue;
    const na = parseNameAddr(c);
    if (!na) return reject(400, "Bad Contact header");
    const exp = na.params.get("expires");
    if (exp !== undefined && (exp === null || !/^[0-9]{1,10}$/.test(exp))) return reject(400, "Bad Contact expires");
    validContact.add(c);
  }
  return null;
}

/**
 * Header values that passed these checks lately. The two REGISTERs of a registration, and a device's
 * next one, carry the same From (tag included), To, Contact and Request-URI, so most checks become one
 * lookup instead of a parse (the checks were about a fifth of the engine's work per REGISTER). Two
 * generations of `max` values each: a value stays known for at least `max` additions (at overload
 * ~400 registrations come between the two REGISTERs of one), and memory is bounded. The values are
 * slices that keep their message text alive (fields.ts detached), so the bound also bounds that:
 * a copy per value cost more CPU than the cache saved.
 */
class RecentlyValid {
  private cur = new Set<string>();
  private old = new Set<string>();
  constructor(private readonly max: number) {}
  has(v: string): boolean { return this.cur.has(v) || this.old.has(v); }
  add(v: string): void {
    if (this.cur.size >= this.max) { this.old = this.cur; this.cur = new Set(); }
    this.cur.add(v);
  }
}
const validFrom = new RecentlyValid(1024);
const validTo = new RecentlyValid(1024);
const validRuri = new RecentlyValid(128);
const validContact = new RecentlyValid(1024);

/** Whether a response is usable by the transaction layer (RFC 3261 8.1.3.3: else discard). */
export function checkResponse(res: SipResponse): string | null {
  if (!topVia(res)) return "bad or missing Via";
  if (!cseqOf(res)) return "bad or missing CSeq";
  if (!res.headers.has("call-id")) return "missing Call-ID";
  return null;
}
