// Via (RFC 3261 20.42, 18.2.1) with RFC 3581 rport, and CSeq (RFC 3261 20.16).
import { formatParams, isToken, isWs, parseParams, type Params } from "./params.ts";
import { parseHostPort } from "./uri.ts";

export interface Via {
  /** "SIP/2.0" */
  protocol: string;
  /** Upper-case transport: UDP, TCP, TLS, SCTP, WS... */
  transport: string;
  host: string;
  port: number | null;
  params: Params;
}

/** RFC 3261 8.1.1.7: a branch beginning with this cookie is RFC 3261-unique. */
export const MAGIC_COOKIE = "z9hG4bK";

/** Parses one Via element: `SIP / 2.0 / UDP host:port;branch=...` (LWS allowed around "/"). */
export function parseVia(value: string): Via | null {
  const s = value.trim();
  let i = 0;
  const words: string[] = ["", "", ""];
  for (let k = 0; k < 3; k++) {
    while (i < s.length && isWs(s.charCodeAt(i))) i++;
    const start = i;
    while (i < s.length && !isWs(s.charCodeAt(i)) && s.charCodeAt(i) !== 47) i++;
    const word = s.slice(start, i);
    if (!isToken(word)) return null;
    words[k] = word;
    while (i < s.length && isWs(s.charCodeAt(i))) i++;
    if (k < 2) { if (s.charCodeAt(i) !== 47) return null; i++; }
  }
  const semi = s.indexOf(";", i);
  const sentBy = s.slice(i, semi >= 0 ? semi : s.length).trim();
  // sent-by = host [ COLON port ]; whitespace is allowed around the colon only.
  const h = parseHostPort(sentBy.indexOf(" ") < 0 && sentBy.indexOf("\t") < 0 ? sentBy : sentBy.replace(/\s*:\s*/, ":"));
  if (!h) return null;
  const params = semi >= 0 ? parseParams(s, semi) : new Map<string, string | null>();
  if (!params) return null;
  const rport = params.get("rport");
  if (rport !== undefined && rport !== null && !isPort(rport)) return null;
  const protocol = words[0] === "SIP" && words[1] === "2.0" ? "SIP/2.0" : `${words[0]}/${words[1]}`.toUpperCase();
  return { protocol, transport: words[2].toUpperCase(), host: h.host, port: h.port, params };
}

function isPort(s: string): boolean {
  if (s.length === 0 || s.length > 5) return false;
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c < 48 || c > 57) return false; }
  return Number(s) <= 65535;
}

export function formatVia(v: Via): string {
  return `${v.protocol}/${v.transport} ${v.host}${v.port !== null ? ":" + v.port : ""}${formatParams(v.params)}`;
}

export function viaBranch(v: Via): string | null { return v.params.get("branch") ?? null; }

/** "host:port" as the transaction key uses it (RFC 3261 17.2.3: sent-by, default port 5060). */
export function viaSentBy(v: Via): string { return `${v.host.toLowerCase()}:${v.port ?? 5060}`; }

export interface CSeq { seq: number; method: string }

/** `1 INVITE`. The number is a 32-bit unsigned integer below 2**31 (RFC 3261 8.1.1.5). */
export function parseCSeq(value: string): CSeq | null {
  const s = value.trim();
  let i = 0;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (i === 0 || i > 10) return null;
  const seq = Number(s.slice(0, i));
  if (seq > 0x7fffffff) return null;
  if (i >= s.length || !isWs(s.charCodeAt(i))) return null;
  const method = s.slice(i).trim();
  if (!isToken(method)) return null;
  return { seq, method };
}
