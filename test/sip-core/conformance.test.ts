// One conformance suite run against each transport (as Hono's router/common.case.test.ts runs against
// each router): what a peer observes must not depend on whether it speaks UDP or TCP.
import { afterEach, describe, expect, test } from "bun:test";
import { makeResponse, serialize, topVia, type SipMessage, type SipRequest } from "../../app/sip/message/index.ts";
import type { TransportName } from "../../app/sip/transport/types.ts";
import { message, options, startEngine, TcpPeer, UdpPeer } from "./harness.ts";

interface Peer { transport: TransportName; port: number; received: SipMessage[]; send(d: Uint8Array | string): void; waitFor(n: number): Promise<SipMessage[]>; close(): void }

async function peer(transport: TransportName, enginePort: number): Promise<Peer> {
  if (transport === "udp") {
    const u = await UdpPeer.open();
    return { transport, port: u.port, received: u.received, send: (d) => u.send(d, enginePort), waitFor: (n) => u.waitFor(n), close: () => u.close() };
  }
  const t = await TcpPeer.connect(enginePort);
  return { transport, port: t.localPort, received: t.received, send: (d) => t.send(d), waitFor: (n) => t.waitFor(n), close: () => t.close() };
}

const cleanups: (() => void)[] = [];
afterEach(() => { while (cleanups.length) cleanups.pop()!(); });

for (const transport of ["udp", "tcp"] as const) {
  describe(`conformance over ${transport}`, () => {
    async function setup() {
      const e = await startEngine();
      const p = await peer(transport, e.port);
      cleanups.push(() => { p.close(); e.stop(); });
      return { ...e, p, T: transport.toUpperCase() };
    }

    test("OPTIONS: 200, To tag, rport and received filled in", async () => {
      const { port, p, T } = await setup();
      p.send(options(port, p.port, T));
      const [r] = await p.waitFor(1);
      expect(r.kind === "response" && r.status).toBe(200);
      expect(topVia(r)!.params.get("rport")).toBe(String(p.port));
      expect(topVia(r)!.params.get("received")).toBe("127.0.0.1");
      expect(r.headers.get("to")).toContain(";tag=");
    });

    test("a MESSAGE body (GB2312 bytes) reaches the handler intact, with the source", async () => {
      const { engine, port, p } = await setup();
      const body = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="GB2312"?>\r\n<Notify><Name>'), Buffer.from([0xc9, 0xe3, 0xcf, 0xf1]), Buffer.from("</Name></Notify>\r\n")]);
      let got: { body: Buffer; transport: string; port: number } | null = null;
      engine.onRequest("MESSAGE", (req, tx, src) => { got = { body: Buffer.from(req.body), transport: src.transport, port: src.port }; tx.respond(200); });
      p.send(message(p.port, body));
      await p.waitFor(1);
      expect(got!.body.equals(body)).toBe(true);
      expect(got!.transport).toBe(transport);
      expect(got!.port).toBe(p.port);
    });

    test("malformed request: 400; unknown method: 501; the peer can go on", async () => {
      const { port, p, T } = await setup();
      p.send(options(port, p.port, T).replace("CSeq: 1 OPTIONS", "CSeq: 1 BYE"));
      await p.waitFor(1);
      p.send(options(port, p.port, T).replace(/OPTIONS/g, "XYZZY"));
      await p.waitFor(2);
      p.send(options(port, p.port, T));
      const r = await p.waitFor(3);
      expect(r.map((m) => m.kind === "response" && m.status)).toEqual([400, 501, 200]);
    });

    test("a request from the engine to the peer's source, answered by the peer", async () => {
      const { engine, port, p, T } = await setup();
      // The peer introduces itself first so the engine has its source (for TCP: the connection).
      let source: any = null;
      engine.onRequest("MESSAGE", (_r, tx, src) => { source = src; tx.respond(200); });
      p.send(message(p.port, "<Notify/>"));
      await p.waitFor(1);
      const req = engine.createRequest({ method: "MESSAGE", uri: `sip:34020000001320000001@127.0.0.1:${p.port}`, from: "<sip:34020000002000000001@3402000000>", to: "<sip:34020000001320000001@3402000000>", body: "<Query/>", contentType: "Application/MANSCDP+xml" });
      const tx = engine.sendRequest(req, source);
      const [, got] = await p.waitFor(2);
      expect(got.kind).toBe("request");
      expect(topVia(got)!.transport).toBe(T);
      p.send(serialize(makeResponse(got as SipRequest, 200)));
      expect((await tx.final).status).toBe(200);
      expect(port).toBeGreaterThan(0);
    });
  });
}
