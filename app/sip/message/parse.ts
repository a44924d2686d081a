// The parser: bytes → message | error (RFC 3261 7, 25). Pure, no I/O, never throws: anything a
// hostile peer can send becomes an error value. It knows nothing of transports: on a stream the
// framer (transport/framer.ts) cuts one message out first and hands its bytes here.
import { Headers, headerKey, isListHeader, knownHeaderKey, splitList } from "./headers.ts";
import { isToken, isWs } from "./params.ts";
import { EMPTY_BODY, type ParseResult, type SipMessage } from "./types.ts";

/** Most header bytes we look at; a bigger header block is an error, not a memory hazard. */
export const MAX_HEADER_BYTES = 65535;

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Index of the first byte after the header block's empty line, and where the head text ends. */
export function findHeaderEnd(buf: Buffer, from: number): { headEnd: number; bodyStart: number } | null {
  const crlf = buf.indexOf("\r\n\r\n", from, "latin1");
  const lf = buf.indexOf("\n\n", from, "latin1");
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { headEnd: crlf, bodyStart: crlf + 4 };
  if (lf >= 0) return { headEnd: lf, bodyStart: lf + 2 };
  return null;
}

/**
 * Parses one message. On a datagram a Content-Length shorter than what arrived truncates the body;
 * a longer one is an error (RFC 3261 18.3). Without Content-Length the body is the rest.
 */
export function parse(bytes: Uint8Array): ParseResult {
  try {
    return parseUnsafe(asBuffer(bytes));
  } catch (e) {
    // A bug of ours must not become an exception in the receive loop.
    return { ok: false, error: `parser failure: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function parseUnsafe(buf: Buffer): ParseResult {
  let start = 0;
  // RFC 3261 7.5: CRLFs before the start line are ignored (keepalives, stray bytes after a message).
  while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start >= buf.length) return { ok: false, error: "empty message" };
  const end = findHeaderEnd(buf, start);
  if (!end) return { ok: false, error: "no empty line after the headers (truncated message)" };
  if (end.headEnd - start > MAX_HEADER_BYTES) return { ok: false, error: "header block too large" };
  const head = buf.toString("latin1", start, end.headEnd);

  // Lines are cut out of the head text by index (no array of lines, no copy per line): this runs for
  // every message. A line ends at LF, with or without CR before it.
  let nl = head.indexOf("\n");
  if (nl < 0) nl = head.length;
  const msg = startLine(head.slice(0, lineEnd(head, 0, nl)));
  if (typeof msg === "string") return { ok: false, error: msg };

  // Header lines; a line starting with SP/HT continues the previous one (RFC 3261 7.3.1 folding).
  let pendingKey = "", pendingName = "", pendingValue = "", have = false;
  let bad: string | null = null;
  const flush = () => {
    if (!have) return;
    if (isListHeader(pendingKey)) for (const v of splitList(pendingValue)) msg.headers.addKeyed(pendingKey, pendingName, v);
    else msg.headers.addKeyed(pendingKey, pendingName, pendingValue);
    have = false;
  };
  for (let pos = nl + 1; pos < head.length; pos = nl + 1) {
    nl = head.indexOf("\n", pos);
    if (nl < 0) nl = head.length;
    const end = lineEnd(head, pos, nl);
    const c = head.charCodeAt(pos);
    if (c === 32 || c === 9) {
      if (!have) { bad ??= "continuation line without a header"; continue; }
      const more = head.slice(pos, end).trim();
      pendingValue = pendingValue ? (more ? pendingValue + " " + more : pendingValue) : more;
      continue;
    }
    flush();
    const colon = head.indexOf(":", pos);
    if (colon <= pos || colon >= end) { bad ??= `header line without a name and colon: ${JSON.stringify(head.slice(pos, Math.min(end, pos + 40)))}`; continue; }
    let nameEnd = colon;
    while (nameEnd > pos && isWs(head.charCodeAt(nameEnd - 1))) nameEnd--;
    const name = head.slice(pos, nameEnd);
    // A name seen before has been checked before (knownHeaderKey only knows names that passed).
    let key = knownHeaderKey(name);
    if (key === undefined) {
      if (!isToken(name)) { bad ??= `bad header name ${JSON.stringify(name.slice(0, 40))}`; continue; }
      key = headerKey(name);
    }
    let vs = colon + 1, ve = end;
    while (vs < ve && isWs(head.charCodeAt(vs))) vs++;
    while (ve > vs && isWs(head.charCodeAt(ve - 1))) ve--;
    pendingKey = key;
    pendingName = name;
    pendingValue = head.slice(vs, ve);
    have = true;
  }
  flush();
  if (bad) return { ok: false, error: bad, message: msg };

  // Content-Length (RFC 3261 20.14): one value, digits only.
  const cls = msg.headers.getAll("content-length");
  const available = buf.length - end.bodyStart;
  if (cls.length === 0) {
    msg.body = available > 0 ? new Uint8Array(buf.subarray(end.bodyStart)) : EMPTY_BODY;
    return { ok: true, message: msg };
  }
  const cl = cls[0];
  if (cls.some((v) => v !== cl)) return { ok: false, error: "conflicting Content-Length headers", message: msg };
  if (!/^[0-9]{1,9}$/.test(cl)) return { ok: false, error: `bad Content-Length ${JSON.stringify(cl.slice(0, 20))}`, message: msg };
  const n = Number(cl);
  if (n > available) return { ok: false, error: `Content-Length ${n} larger than the ${available} body bytes received`, message: msg };
  msg.body = n > 0 ? new Uint8Array(buf.subarray(end.bodyStart, end.bodyStart + n)) : EMPTY_BODY;
  return { ok: true, message: msg };
}

/** End of the line that runs from `from` to the LF at `nl`: a CR before the LF is not part of it. */
function lineEnd(s: string, from: number, nl: number): number {
  return nl > from && s.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
}

/** Request-Line or Status-Line (RFC 3261 7.1, 7.2): single spaces, nothing trailing. */
function startLine(line: string): SipMessage | string {
  if (line.length === 0) return "empty start line";
  if (line.startsWith("SIP/") || line.startsWith("sip/")) {
    const sp = line.indexOf(" ");
    if (sp < 0) return "status line without a code";
    const version = line.slice(0, sp);
    const code = line.slice(sp + 1, sp + 4);
    const after = line.charCodeAt(sp + 4);
    if (!/^[1-6][0-9][0-9]$/.test(code) || (line.length > sp + 4 && after !== 32)) return `bad status code in ${JSON.stringify(line.slice(0, 60))}`;
    if (!validVersion(version)) return `bad SIP version ${JSON.stringify(version.slice(0, 20))}`;
    return { kind: "response", status: Number(code), reason: line.slice(sp + 5), version, headers: new Headers(), body: EMPTY_BODY };
  }
  const parts = line.split(" ");
  if (parts.length !== 3 || !parts[0] || !parts[1] || !parts[2]) return `malformed request line ${JSON.stringify(line.slice(0, 60))}`;
  const [method, uri, version] = parts;
  if (!isToken(method)) return `bad method ${JSON.stringify(method.slice(0, 20))}`;
  for (let i = 0; i < uri.length; i++) { const c = uri.charCodeAt(i); if (c < 33 || c === 127) return "control character in Request-URI"; }
  if (!validVersion(version)) return `bad SIP version ${JSON.stringify(version.slice(0, 20))}`;
  return { kind: "request", method, uri, version, headers: new Headers(), body: EMPTY_BODY };
}

/** "SIP/" 1*DIGIT "." 1*DIGIT — an unknown version parses (it gets 505 later), garbage does not. */
function validVersion(v: string): boolean {
  return /^SIP\/[0-9]{1,3}\.[0-9]{1,3}$/i.test(v);
}
