// A deliberately small SIP codec for the device simulator: enough of RFC 3261 to play a GB/T 28181
// camera (REGISTER with digest, MESSAGE, answering requests). Independent of the gateway's own parser,
// so the simulator is a second implementation that cross-checks it.
import { createHash, randomBytes } from "node:crypto";

const COMPACT: Record<string, string> = { v: "via", f: "from", t: "to", i: "call-id", m: "contact", l: "content-length", c: "content-type" };

export interface Msg {
  kind: "req" | "res";
  method: string;         // request method, or the CSeq method of a response
  uri: string;
  status: number;
  reason: string;
  headers: Map<string, string[]>;
  body: Uint8Array;
}

export function h(m: Msg, name: string): string | undefined { return m.headers.get(name.toLowerCase())?.[0]; }

const latin1 = new TextDecoder("latin1");

/** Parses one datagram; null when it is not SIP. */
export function parse(buf: Uint8Array): Msg | null {
  let end = -1;
  for (let i = 0; i + 3 < buf.length; i++) if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) { end = i; break; }
  if (end < 0) return null;
  const lines = latin1.decode(buf.subarray(0, end)).split("\r\n");
  const start = lines.shift()!;
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const c = line.indexOf(":");
    if (c <= 0) continue;
    let k = line.slice(0, c).trim().toLowerCase();
    k = COMPACT[k] ?? k;
    const list = headers.get(k) ?? [];
    list.push(line.slice(c + 1).trim());
    headers.set(k, list);
  }
  const cl = Number(headers.get("content-length")?.[0] ?? buf.length - end - 4);
  const body = buf.subarray(end + 4, end + 4 + Math.max(0, cl));
  const cseqMethod = (headers.get("cseq")?.[0] ?? "").split(/\s+/)[1] ?? "";
  const r = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(start);
  if (r) return { kind: "res", method: cseqMethod, uri: "", status: Number(r[1]), reason: r[2], headers, body };
  const q = /^([A-Z]+)\s+(\S+)\s+SIP\/2\.0$/.exec(start);
  if (q) return { kind: "req", method: q[1], uri: q[2], status: 0, reason: "", headers, body };
  return null;
}

function concat(head: string, body: Uint8Array): Uint8Array {
  const hb = new TextEncoder().encode(head);
  const out = new Uint8Array(hb.length + body.length);
  out.set(hb); out.set(body, hb.length);
  return out;
}

export function request(method: string, uri: string, headers: [string, string][], body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const lines = [`${method} ${uri} SIP/2.0`, ...headers.map(([k, v]) => `${k}: ${v}`), `Content-Length: ${body.length}`, "", ""];
  return concat(lines.join("\r\n"), body);
}

/** A response to `req` (RFC 3261 8.2.6): Via, From, Call-ID, CSeq copied; To gets a tag. */
export function response(req: Msg, status: number, reason: string, toTag: string, extra: [string, string][] = []): Uint8Array {
  const to = h(req, "to") ?? "";
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const v of req.headers.get("via") ?? []) lines.push(`Via: ${v}`);
  lines.push(`From: ${h(req, "from") ?? ""}`, `To: ${/;\s*tag=/i.test(to) ? to : `${to};tag=${toTag}`}`, `Call-ID: ${h(req, "call-id") ?? ""}`, `CSeq: ${h(req, "cseq") ?? ""}`);
  for (const [k, v] of extra) lines.push(`${k}: ${v}`);
  lines.push("Content-Length: 0", "", "");
  return new TextEncoder().encode(lines.join("\r\n"));
}

export function token(n = 8): string { return randomBytes(n).toString("hex"); }

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

/** Authorization for a WWW-Authenticate challenge (RFC 2617, qop=auth when offered). */
export function authorization(challenge: string, user: string, password: string, method: string, uri: string, nc = 1): string {
  const get = (k: string) => new RegExp(`${k}\\s*=\\s*(?:"([^"]*)"|([^,\\s]+))`, "i").exec(challenge);
  const realm = get("realm")?.[1] ?? get("realm")?.[2] ?? "";
  const nonce = get("nonce")?.[1] ?? get("nonce")?.[2] ?? "";
  const qop = /qop\s*=\s*"?[^"]*\bauth\b/i.test(challenge) ? "auth" : "";
  const ha1 = md5(`${user}:${realm}:${password}`), ha2 = md5(`${method}:${uri}`);
  const cnonce = token(4), ncs = nc.toString(16).padStart(8, "0");
  const resp = qop ? md5(`${ha1}:${nonce}:${ncs}:${cnonce}:auth:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${resp}", algorithm=MD5` + (qop ? `, qop=auth, nc=${ncs}, cnonce="${cnonce}"` : "");
}

/** GBK bytes of a string (TextEncoder only writes UTF-8): a reverse table built once from TextDecoder("gbk"). */
let gbkTable: Map<string, number[]> | null = null;
export function encodeGbk(s: string): Uint8Array {
  if (!gbkTable) {
    gbkTable = new Map();
    const dec = new TextDecoder("gbk");
    for (let a = 0x81; a <= 0xfe; a++) for (let b = 0x40; b <= 0xfe; b++) {
      if (b === 0x7f) continue;
      const ch = dec.decode(new Uint8Array([a, b]));
      if (ch.length === 1 && ch !== "\ufffd" && !gbkTable.has(ch)) gbkTable.set(ch, [a, b]);
    }
  }
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else out.push(...(gbkTable.get(ch) ?? [0x3f]));
  }
  return new Uint8Array(out);
}
