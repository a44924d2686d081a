// Building messages: responses from a request (RFC 3261 8.2.6), out-of-dialog requests (RFC 3261 8.1.1),
// the ACK for a non-2xx final response (RFC 3261 17.1.1.3), identifiers, reason phrases.
import { randomBytes } from "node:crypto";
import { Headers } from "./headers.ts";
import { MAGIC_COOKIE } from "./via.ts";
import { EMPTY_BODY, type SipRequest, type SipResponse } from "./types.ts";
import { parseNameAddr } from "./uri.ts";

const REASONS: Record<number, string> = {
  100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued", 183: "Session Progress",
  200: "OK", 202: "Accepted", 300: "Multiple Choices", 301: "Moved Permanently", 302: "Moved Temporarily",
  305: "Use Proxy", 380: "Alternative Service", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required",
  403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
  407: "Proxy Authentication Required", 408: "Request Timeout", 410: "Gone", 413: "Request Entity Too Large",
  414: "Request-URI Too Long", 415: "Unsupported Media Type", 416: "Unsupported URI Scheme",
  420: "Bad Extension", 421: "Extension Required", 423: "Interval Too Brief", 429: "Too Many Requests",
  480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist", 482: "Loop Detected",
  483: "Too Many Hops", 484: "Address Incomplete", 485: "Ambiguous", 486: "Busy Here", 487: "Request Terminated",
  488: "Not Acceptable Here", 491: "Request Pending", 493: "Undecipherable", 500: "Server Internal Error",
  501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Server Time-out",
  505: "Version Not Supported", 513: "Message Too Large", 600: "Busy Everywhere", 603: "Decline",
  604: "Does Not Exist Anywhere", 606: "Not Acceptable",
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status < 200 ? "Provisional" : status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : status < 600 ? "Server Error" : "Global Failure");
}

// Identifiers: random bytes from a pool refilled in bulk, since every message needs one or more.
let pool = Buffer.alloc(0), poolAt = 0;
function rand(n: number): string {
  if (poolAt + n > pool.length) { pool = randomBytes(4096); poolAt = 0; }
  const s = pool.toString("hex", poolAt, poolAt + n);
  poolAt += n;
  return s;
}
/** A branch with the RFC 3261 magic cookie (8.1.1.7). */
export function newBranch(): string { return MAGIC_COOKIE + rand(8); }
export function newTag(): string { return rand(6); }
export function newCallId(host?: string): string { return host ? `${rand(12)}@${host}` : rand(16); }

export interface BodyOptions {
  headers?: Record<string, string | string[]> | Iterable<[string, string]>;
  body?: Uint8Array | string;
  /** Content-Type of the body (required by RFC 3261 when a body is present). */
  contentType?: string;
}

/** One encoder for every body (a TextEncoder per message was native garbage per message). */
const UTF8 = new TextEncoder();

function applyBody(h: Headers, o: BodyOptions): Uint8Array {
  if (o.headers) h.addAll(o.headers);
  const body = o.body === undefined ? EMPTY_BODY : typeof o.body === "string" ? UTF8.encode(o.body) : o.body;
  if (o.contentType) h.set("content-type", o.contentType);
  return body;
}

/**
 * A response to `req` (RFC 3261 8.2.6.2): Via (all, in order), From, To, Call-ID and CSeq copied
 * (and Record-Route on 101–299);
 * a To tag added when absent, except on 100 Trying. `toTag` lets a transaction keep one tag for every
 * response it sends.
 */
export function makeResponse(req: SipRequest, status: number, reason?: string, opts: BodyOptions & { toTag?: string } = {}): SipResponse {
  const h = new Headers();
  // RFC 12.1.1: a dialog-creating response (101–299) carries the request's Record-Route, in order.
  const rr = status > 100 && status < 300;
  for (const f of req.headers.fields) {
    if (f.key === "via" || f.key === "from" || f.key === "call-id" || f.key === "cseq" || (rr && f.key === "record-route")) h.add(f.name, f.value);
    else if (f.key === "to") {
      let v = f.value;
      // Only a value mentioning "tag" needs the parser to tell a tag parameter from, say, a user name.
      if (status > 100 && (!/tag/i.test(v) || !parseNameAddr(v)?.params.has("tag"))) v = `${v};tag=${opts.toTag ?? newTag()}`;
      h.add(f.name, v);
    }
  }
  // RFC 3261 8.2.6.1: a 100 Trying copies Timestamp.
  if (status === 100) { const ts = req.headers.get("timestamp"); if (ts !== undefined) h.add("Timestamp", ts); }
  const body = applyBody(h, opts);
  return { kind: "response", status, reason: reason ?? reasonPhrase(status), version: "SIP/2.0", headers: h, body };
}

export interface RequestOptions extends BodyOptions {
  method: string;
  /** Request-URI. */
  uri: string;
  /** From value without tag, e.g. `<sip:34020000002000000001@3402000000>`; a tag is added. */
  from: string;
  /** To value, e.g. `<sip:34020000001320000001@3402000000>`. */
  to: string;
  callId?: string;
  cseq?: number;
  fromTag?: string;
  contact?: string;
  maxForwards?: number;
}

/**
 * An out-of-dialog request (RFC 3261 8.1.1). The engine adds the top Via (with a fresh branch and
 * rport) when it sends it, so none is added here.
 */
export function makeRequest(o: RequestOptions): SipRequest {
  const h = new Headers();
  const fromNa = parseNameAddr(o.from);
  const from = fromNa && fromNa.params.has("tag") ? o.from : `${o.from};tag=${o.fromTag ?? newTag()}`;
  h.add("From", from);
  h.add("To", o.to);
  h.add("Call-ID", o.callId ?? newCallId());
  h.add("CSeq", `${o.cseq ?? 1} ${o.method}`);
  h.add("Max-Forwards", String(o.maxForwards ?? 70));
  if (o.contact) h.add("Contact", o.contact);
  const body = applyBody(h, o);
  return { kind: "request", method: o.method, uri: o.uri, version: "SIP/2.0", headers: h, body };
}

/**
 * The ACK for a non-2xx final response (RFC 3261 17.1.1.3): same Request-URI, top Via, From,
 * Call-ID, CSeq number and Route as the INVITE; To from the response.
 */
export function makeNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const h = new Headers();
  const via = invite.headers.get("via");
  if (via !== undefined) h.add("Via", via);
  h.add("From", invite.headers.get("from") ?? "");
  h.add("To", response.headers.get("to") ?? invite.headers.get("to") ?? "");
  h.add("Call-ID", invite.headers.get("call-id") ?? "");
  const seq = (invite.headers.get("cseq") ?? "1").trim().split(/\s+/)[0];
  h.add("CSeq", `${seq} ACK`);
  h.add("Max-Forwards", "70");
  for (const r of invite.headers.getAll("route")) h.add("Route", r);
  return { kind: "request", method: "ACK", uri: invite.uri, version: "SIP/2.0", headers: h, body: EMPTY_BODY };
}

/** A deep copy (headers and body), e.g. before a user edits a request to resend it. */
export function cloneMessage<T extends SipRequest | SipResponse>(m: T): T {
  return { ...m, headers: m.headers.clone(), body: m.body.slice() };
}
