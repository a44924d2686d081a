// Stream framing for SIP over TCP (RFC 3261 18.3): a message is the header block up to the empty line,
// then exactly Content-Length body bytes. One TCP read may carry several messages or a fraction of one;
// this cuts them out and hands each whole message to the parser. Separate from the parser on purpose.
import { findHeaderEnd } from "../message/parse.ts";

export interface FrameResult {
  messages: Uint8Array[];
  /** RFC 5626 double-CRLF keepalive pings seen (answered with a single CRLF "pong"). */
  pings: number;
  /** Framing is lost (bad or oversized Content-Length): the connection must be closed. */
  error?: string;
}

const EMPTY = Buffer.alloc(0);

export class StreamFramer {
  private buf: Buffer = EMPTY;
  constructor(private readonly maxMessageBytes = 65535) {}

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number { return this.buf.length; }

  push(chunk: Uint8Array): FrameResult {
    const messages: Uint8Array[] = [];
    let pings = 0;
    let buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (;;) {
      // Leading CRLFs between messages are keepalives (RFC 5626 3.5.1: CRLFCRLF ping).
      let i = 0;
      while (i < buf.length && (buf[i] === 13 || buf[i] === 10)) i++;
      if (i >= 4 && buf[0] === 13 && buf[1] === 10 && buf[2] === 13 && buf[3] === 10) pings++;
      if (i > 0) buf = buf.subarray(i);
      if (buf.length === 0) break;
      const end = findHeaderEnd(buf, 0);
      if (!end) {
        if (buf.length > this.maxMessageBytes) return this.fail(messages, pings, "header block larger than the message limit");
        break;
      }
      const cl = contentLength(buf.toString("latin1", 0, end.headEnd));
      if (cl === "bad") return this.fail(messages, pings, "bad Content-Length on a stream");
      const total = end.bodyStart + cl;
      if (total > this.maxMessageBytes) return this.fail(messages, pings, `message of ${total} bytes exceeds the limit`);
      if (buf.length < total) break;
      messages.push(buf.subarray(0, total));
      buf = buf.subarray(total);
    }
    // Keep our own copy of a partial message: the runtime may reuse the read buffer.
    this.buf = buf.length ? Buffer.from(buf) : EMPTY;
    return { messages, pings };
  }

  private fail(messages: Uint8Array[], pings: number, error: string): FrameResult {
    this.buf = EMPTY;
    return { messages, pings, error };
  }
}

/** Content-Length from the header text (full or compact `l`); absent counts as 0. */
function contentLength(head: string): number | "bad" {
  let pos = 0;
  let found: number | "bad" | null = null;
  while (pos < head.length) {
    let nl = head.indexOf("\n", pos);
    if (nl < 0) nl = head.length;
    const c = head.charCodeAt(pos) | 0x20;
    if (c === 0x6c /* l */ || c === 0x63 /* c */) {
      const colon = head.indexOf(":", pos);
      if (colon > 0 && colon < nl) {
        const name = head.slice(pos, colon).trim().toLowerCase();
        if (name === "content-length" || name === "l") {
          const v = head.slice(colon + 1, nl).trim();
          if (!/^[0-9]{1,9}$/.test(v)) return "bad";
          const n = Number(v);
          if (found !== null && found !== n) return "bad";
          found = n;
        }
      }
    }
    pos = nl + 1;
  }
  return found ?? 0;
}
