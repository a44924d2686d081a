// The TCP stream framer (RFC 3261 18.3): Content-Length framing, several messages per read, partial
// reads, keepalive pings, and lost framing.
import { describe, expect, test } from "bun:test";
import { StreamFramer } from "../../app/sip/transport/framer.ts";
import { enc } from "./harness.ts";

const msg = (body: string, cl = "Content-Length") => Buffer.concat([enc(`MESSAGE sip:a@b SIP/2.0\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\n${cl}: ${Buffer.byteLength(body)}\n\n`), Buffer.from(body)]);

describe("stream framer", () => {
  test("three messages in one read, bodies containing CRLFCRLF", () => {
    const f = new StreamFramer();
    const a = msg("one\r\n\r\ntwo"), b = msg(""), c = msg("x", "l");
    const r = f.push(Buffer.concat([a, b, c]));
    expect(r.messages.map((m) => Buffer.from(m).toString())).toEqual([a.toString(), b.toString(), c.toString()]);
  });

  test("one message delivered a byte at a time", () => {
    const f = new StreamFramer();
    const a = msg("hello body");
    const out: Uint8Array[] = [];
    for (let i = 0; i < a.length; i++) out.push(...f.push(a.subarray(i, i + 1)).messages);
    expect(out.length).toBe(1);
    expect(Buffer.from(out[0]).equals(a)).toBe(true);
    expect(f.buffered).toBe(0);
  });

  test("double-CRLF keepalive pings are counted and skipped", () => {
    const f = new StreamFramer();
    const r = f.push(Buffer.concat([Buffer.from("\r\n\r\n"), msg("z")]));
    expect(r.pings).toBe(1);
    expect(r.messages.length).toBe(1);
  });

  test("bad or oversized Content-Length loses the framing", () => {
    expect(new StreamFramer().push(enc("OPTIONS sip:a SIP/2.0\nContent-Length: abc\n\n")).error).toBeDefined();
    expect(new StreamFramer(1000).push(enc("OPTIONS sip:a SIP/2.0\nContent-Length: 5000\n\n")).error).toBeDefined();
    expect(new StreamFramer(1000).push(Buffer.alloc(2000, 65)).error).toBeDefined();
  });

  test("a missing Content-Length on a stream counts as an empty body", () => {
    const r = new StreamFramer().push(enc("OPTIONS sip:a SIP/2.0\nVia: x\n\nOPTIONS sip:b SIP/2.0\n\n"));
    expect(r.messages.length).toBe(2);
  });
});
