// Fuzzing: random and mutated messages, first straight into the parser and validators (no exception,
// no internal "parser failure"), then at the engine's UDP and TCP ports (2,000 of them), after which
// the engine must still answer OPTIONS on both. The PRNG is seeded so a failure can be replayed.
import { afterAll, describe, expect, test } from "bun:test";
import { checkRequest, checkResponse, contactsOf, fromOf, parse, serialize, toOf, topVia } from "../../app/sip/message/index.ts";
import { StreamFramer } from "../../app/sip/transport/framer.ts";
import { enc, GB_REGISTER, message, options, startEngine, TcpPeer, UdpPeer } from "./harness.ts";
import { waitFor } from "../helpers/wait.ts";

const SEED = Number(process.env.SIP_FUZZ_SEED ?? 0x5eed);
function prng(seed: number) {
  return () => { seed |= 0; seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
const rnd = prng(SEED);
const int = (n: number) => Math.floor(rnd() * n);

const seeds: Uint8Array[] = [
  enc(options(5060, 5070)),
  message(5070, `<?xml version="1.0" encoding="GB2312"?>\n<Notify>\n<CmdType>Keepalive</CmdType>\n<SN>43</SN>\n<DeviceID>34020000001320000001</DeviceID>\n<Status>OK</Status>\n</Notify>\n`),
  enc(GB_REGISTER),
  enc(`SIP/2.0 200 OK
Via: SIP/2.0/UDP 127.0.0.1:5060;rport=5060;branch=z9hG4bKabc
From: <sip:34020000002000000001@3402000000>;tag=1
To: <sip:34020000001320000001@3402000000>;tag=2
Call-ID: x@y
CSeq: 1 MESSAGE
Content-Length: 0

`),
];

const TOKENS = ["\r\n", "\n", ":", ";", ",", "<", ">", "\"", "\\", " ", "\t", "=", "@", "%", "SIP/2.0", "Content-Length: 99999\r\n", "l: -1\r\n", "Via: \r\n", "\r\n\r\n", "\0", "\xff", "[", "]", "sip:", "z9hG4bK"];

function mutate(src: Uint8Array): Uint8Array {
  const b = Array.from(src);
  const n = 1 + int(6);
  for (let i = 0; i < n; i++) {
    const at = int(b.length + 1);
    switch (int(7)) {
      case 0: if (b.length) b[int(b.length)] = int(256); break;                     // byte flip
      case 1: b.splice(at, 0, ...Buffer.from(TOKENS[int(TOKENS.length)], "latin1")); break; // grammar token
      case 2: b.splice(at, 1 + int(20)); break;                                        // deletion
      case 3: b.length = int(b.length + 1); break;                                     // truncation
      case 4: { const s = int(b.length), l = int(60); b.splice(at, 0, ...b.slice(s, s + l)); break; } // duplication
      case 5: b.splice(at, 0, ...Array.from({ length: int(40) }, () => int(256))); break; // random run
      case 6: b.splice(at, 0, ...Buffer.from("X".repeat(int(3000)))); break;          // long value
    }
  }
  return Uint8Array.from(b);
}

function randomBytes(): Uint8Array { return Uint8Array.from({ length: int(600) }, () => int(256)); }

function sample(): Uint8Array { return int(10) === 0 ? randomBytes() : mutate(seeds[int(seeds.length)]); }

describe(`fuzz (seed ${SEED})`, () => {
  test("parser, validators and framer: 10,000 inputs, no exception, no internal failure", () => {
    for (let i = 0; i < 10_000; i++) {
      const input = sample();
      const r = parse(input);
      if (!r.ok) { expect(r.error.startsWith("parser failure")).toBe(false); continue; }
      const m = r.message;
      if (m.kind === "request") checkRequest(m); else checkResponse(m);
      topVia(m); fromOf(m); toOf(m); contactsOf(m);
      const again = parse(serialize(m));
      if (!again.ok) expect(again.error.startsWith("parser failure")).toBe(false);
    }
    const f = new StreamFramer(65535);
    for (let i = 0; i < 2_000; i++) { const r = f.push(sample()); if (r.error) expect(typeof r.error).toBe("string"); }
  }, 30_000);

  const eng = startEngine({ rateLimit: { perSecond: 0 } });
  afterAll(async () => (await eng).stop());

  test("2,000 hostile messages at UDP and TCP, then OPTIONS still answered on both", async () => {
    const { engine, port, lines } = await eng;
    let handled = 0;
    engine.onRequest("*", (_r, tx) => { handled++; tx.respond(200); });
    const udp = await UdpPeer.open();
    let tcp = await TcpPeer.connect(port);
    for (let i = 0; i < 2_000; i++) {
      const m = sample();
      if (i % 2 === 0) udp.send(m, port);
      else {
        try { tcp.send(m); } catch { /* closed by the engine after lost framing */ }
        if (i % 50 === 1) { tcp.close(); tcp = await TcpPeer.connect(port); }
      }
      if (i % 100 === 0) await Bun.sleep(1); // let the receive loop run
    }
    tcp.close();
    // The engine is still fine: OPTIONS over UDP and over a new TCP connection.
    const probe = await UdpPeer.open();
    const before = probe.received.length;
    probe.send(options(port, probe.port, "UDP", "z9hG4bK-probe-udp"), port);
    await waitFor("OPTIONS answer over UDP", () => probe.received.some((r) => r.kind === "response" && r.status === 200 && r.headers.get("via")!.includes("probe-udp")), 5000, 5);
    const t = await TcpPeer.connect(port);
    t.send(options(port, t.localPort, "TCP", "z9hG4bK-probe-tcp"));
    await waitFor("OPTIONS answer over TCP", () => t.received.some((r) => r.kind === "response" && r.status === 200), 5000, 5);
    t.close(); udp.close(); probe.close();
    expect(before).toBe(0);
    const s = engine.stats();
    expect(s.received).toBeGreaterThan(500);
    expect(s.parseErrors).toBeGreaterThan(100);
    // No handler or internal failure was logged at error level.
    expect(lines.filter((l) => l.includes('"level":"error"'))).toEqual([]);
  }, 30_000);
});
