// The serialiser: message → bytes. Content-Length is always written from the body (RFC 3261 20.14;
// mandatory on streams), replacing whatever the headers said.
//
// Header text is "binary" (one char per byte, see headers.ts), so what was parsed goes out unchanged.
// A value that user code wrote with characters above U+00FF is encoded as UTF-8 instead.
import type { SipMessage } from "./types.ts";

const CRLF = "\r\n";

const WIDE = /[^\x00-\xff]/;
/** Whether the text has characters above U+00FF. Plain ASCII (nearly every message) is told by one native length count. */
function needsUtf8(s: string): boolean { return Buffer.byteLength(s, "utf8") !== s.length && WIDE.test(s); }

/** The start line and headers, without the empty line. */
export function headText(m: SipMessage): string {
  let s = m.kind === "request" ? `${m.method} ${m.uri} ${m.version}` : `${m.version} ${m.status} ${m.reason}`;
  for (const f of m.headers.fields) {
    if (f.key === "content-length") continue;
    s += CRLF + f.name + ": " + f.value;
  }
  // One test of the whole text instead of one per header (the per-header test was ~3 % of the CPU);
  // the rare text with wide characters is built again with those values encoded.
  if (needsUtf8(s)) return wideHeadText(m);
  return s + CRLF + "Content-Length: " + m.body.length;
}

function wideHeadText(m: SipMessage): string {
  let s = m.kind === "request" ? `${m.method} ${m.uri} ${m.version}` : `${m.version} ${m.status} ${m.reason}`;
  for (const f of m.headers.fields) {
    if (f.key === "content-length") continue;
    s += CRLF + f.name + ": " + (needsUtf8(f.value) ? Buffer.from(f.value, "utf8").toString("latin1") : f.value);
  }
  return s + CRLF + "Content-Length: " + m.body.length;
}

export function serialize(m: SipMessage): Uint8Array {
  const head = headText(m) + CRLF + CRLF;
  const headLen = head.length; // latin1: one byte per char
  const out = Buffer.allocUnsafe(headLen + m.body.length);
  out.write(head, 0, "latin1");
  if (m.body.length) out.set(m.body, headLen);
  return out;
}

/** A readable text of a message for logs (body shown as UTF-8, cut). */
export function describe(m: SipMessage, maxBody = 200): string {
  const body = m.body.length ? "\n" + Buffer.from(m.body.subarray(0, maxBody)).toString("utf8") : "";
  return headText(m) + body;
}
