// The engine over real loopback sockets: answers, RFC 3581 rport/received, TCP framing, retransmission
// absorption, rejections, handler failures, CANCEL, client transactions and the per-source rate limit.
import { afterEach, describe, expect, test } from "bun:test";
import { makeResponse, serialize, topVia, type SipRequest } from "../../app/sip/message/index.ts";
import { enc, message, options, startEngine, TcpPeer, UdpPeer } from "./harness.ts";
import { waitFor } from "../helpers/wait.ts";
import { invalid, valid } from "./rfc4475.ts";

const cleanups: (() => void)[] = [];
afterEach(() => { while (cleanups.length) cleanups.pop()!(); });
async function setup(sip: Record<string, unknown> = {}) {
  const e = await startEngine(sip);
  const peer = await UdpPeer.open();
  cleanups.push(() => { peer.close(); e.stop(); });
  return { ...e, peer };
}

describe("engine over UDP", () => {
  test("OPTIONS gets 200 with a To tag, sent to the observed source with rport/received filled", async () => {
    const { port, peer } = await setup();
    peer.send(options(port, 1111), port); // Via claims port 1111: the answer must go to the real source
    const [res] = await peer.waitFor(1);
    expect(res.kind === "response" && res.status).toBe(200);
    expect(res.headers.get("to")).toMatch(/;tag=[0-9a-f]+$/);
    const via = topVia(res)!;
    expect(via.params.get("rport")).toBe(String(peer.port));
    expect(via.params.get("received")).toBe("127.0.0.1"); // RFC 3581 4: even when equal to sent-by
    expect(res.headers.get("allow")).toContain("OPTIONS");
  });

  test("a retransmitted request is answered from its transaction and reaches the handler once", async () => {
    const { engine, port, peer } = await setup();
    let calls = 0;
    engine.onRequest("MESSAGE", (_req, tx) => { calls++; tx.respond(200); });
    const m = message(peer.port, "<?xml version=\"1.0\"?><Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>34020000001320000001</DeviceID><Status>OK</Status></Notify>", "z9hG4bK-retrans-1");
    peer.send(m, port);
    await peer.waitFor(1);
    peer.send(m, port);
    await peer.waitFor(2);
    expect(calls).toBe(1);
    expect(Buffer.from(peer.raw[1]).equals(Buffer.from(peer.raw[0]))).toBe(true);
    expect(engine.stats().retransmissionsAbsorbed).toBe(1);
  });

  test("malformed requests get 400 / 505, garbage is dropped, and the engine keeps answering", async () => {
    const { port, peer, engine } = await setup();
    const bad = options(port, peer.port).replace("CSeq: 1 OPTIONS", "CSeq: 1 INVITE");
    peer.send(bad, port);
    peer.send(options(port, peer.port).replace("Content-Length: 0", "Content-Length: 500"), port);
    peer.send(options(port, peer.port).replace(/SIP\/2\.0\r?\n/, "SIP/7.0\n"), port);
    peer.send(new Uint8Array([0, 1, 2, 255, 13, 10, 13, 10]), port);
    peer.send("\r\n\r\n", port);
    await peer.waitFor(3);
    expect(peer.received.map((r) => r.kind === "response" && r.status).sort()).toEqual([400, 400, 505]);
    peer.send(options(port, peer.port), port);
    await peer.waitFor(4);
    expect(peer.received[3].kind === "response" && peer.received[3].status).toBe(200);
    expect(engine.stats().parseErrors).toBeGreaterThanOrEqual(2);
  });

  test("RFC 4475 messages sent to the engine: invalid requests get 4xx/5xx or nothing, never a crash", async () => {
    const { engine, port, peer } = await setup();
    engine.onRequest("*", (_r, tx) => { tx.respond(200); });
    const sent: string[] = [];
    for (const [name, bytes] of Object.entries(invalid)) { peer.send(bytes, port); sent.push(name); }
    // Each answered invalid request carries its own Call-ID; none of them may be a 200.
    peer.send(options(port, peer.port, "UDP", "z9hG4bK-after-torture"), port);
    await waitFor("OPTIONS after the torture messages", () => peer.received.some((r) => r.headers.get("via")?.includes("after-torture")), 5000, 5);
    for (const r of peer.received) {
      if (r.headers.get("via")?.includes("after-torture")) continue;
      expect([r.headers.get("call-id"), r.kind === "response" && r.status >= 400]).toEqual([r.headers.get("call-id"), true]);
    }
    expect(peer.received.length).toBeGreaterThan(10);
    // Valid ones are handled (requests answered 200 by the handler, responses are strays).
    const before = peer.received.length;
    for (const name of ["esc01", "escnull", "lwsdisp", "semiuri", "transports"]) peer.send(valid[name], port);
    await peer.waitFor(before + 5);
    expect(peer.received.slice(before).map((r) => r.kind === "response" && r.status)).toEqual([200, 200, 200, 200, 200]);
  });

  test("no handler: 405 with Allow for a known method, 501 for an unknown one", async () => {
    const { port, peer } = await setup();
    peer.send(options(port, peer.port).replace(/OPTIONS/g, "SUBSCRIBE"), port);
    await peer.waitFor(1);
    peer.send(options(port, peer.port).replace(/OPTIONS/g, "FROBNICATE"), port);
    await peer.waitFor(2);
    const [a, b] = peer.received;
    expect(a.kind === "response" && a.status).toBe(405);
    expect(a.headers.get("allow")).toBeDefined();
    expect(b.kind === "response" && b.status).toBe(501);
  });

  test("onStateless: a final answer is sent without a server transaction; a retransmission is answered again with the same To tag", async () => {
    const { engine, port, peer } = await setup({ userAgent: "gw-test" });
    let stateless = 0, stateful = 0;
    engine.onStateless("MESSAGE", () => { stateless++; return { status: 401, reason: "Unauthorized", headers: [["WWW-Authenticate", 'Digest realm="x", nonce="n"']] }; });
    engine.onRequest("MESSAGE", (_r, tx) => { stateful++; tx.respond(200); });
    const m = message(peer.port, "x", "z9hG4bK-stateless-1");
    peer.send(m, port);
    await peer.waitFor(1);
    peer.send(m, port);
    await peer.waitFor(2);
    const [a, b] = peer.received;
    expect([a.kind === "response" && a.status, b.kind === "response" && b.status]).toEqual([401, 401]);
    expect(a.headers.get("www-authenticate")).toBe('Digest realm="x", nonce="n"');
    expect(a.headers.get("server")).toBe("gw-test");
    expect(a.headers.get("to")).toMatch(/;tag=[0-9a-z]+$/);
    expect(b.headers.get("to")).toBe(a.headers.get("to")!); // RFC 3261 8.2.7: same tag for the same request
    expect(topVia(a)!.params.get("rport")).toBe(String(peer.port));
    expect([stateless, stateful]).toEqual([2, 0]);
    expect(engine.stats()).toMatchObject({ statelessResponses: 2, serverTransactions: 0, retransmissionsAbsorbed: 0 });
  });

  test("onStateless: null, a provisional status or a throw hands the request on to the stateful handler; INVITE is refused", async () => {
    const { engine, port, peer } = await setup();
    const answers: (() => { status: number } | null)[] = [() => null, () => ({ status: 100 }), () => { throw new Error("boom"); }];
    let i = 0;
    engine.onStateless("MESSAGE", () => answers[i++]());
    engine.onRequest("MESSAGE", (_r, tx) => { tx.respond(202); });
    for (let k = 0; k < 3; k++) peer.send(message(peer.port, "x"), port);
    await peer.waitFor(3);
    expect(peer.received.map((r) => r.kind === "response" && r.status)).toEqual([202, 202, 202]);
    expect(engine.stats().statelessResponses).toBe(0);
    expect(() => engine.onStateless("INVITE", () => null)).toThrow();
  });

  test("a handler that throws or rejects before answering produces 500", async () => {
    const { engine, port, peer } = await setup();
    engine.onRequest("MESSAGE", () => { throw new Error("boom"); });
    engine.onRequest("INFO", async () => { await Bun.sleep(1); throw new Error("later boom"); });
    peer.send(message(peer.port, "x"), port);
    peer.send(options(port, peer.port).replace(/OPTIONS/g, "INFO"), port);
    await peer.waitFor(2);
    expect(peer.received.map((r) => r.kind === "response" && r.status)).toEqual([500, 500]);
  });

  test("CANCEL: 200 to the CANCEL, 487 to the pending INVITE, onCancel called", async () => {
    const { engine, port, peer } = await setup();
    let cancelled = false;
    engine.onRequest("INVITE", (_req, tx) => { tx.onCancel(() => { cancelled = true; }); });
    const inv = options(port, peer.port, "UDP", "z9hG4bK-inv-1").replace(/OPTIONS/g, "INVITE");
    peer.send(inv, port);
    await peer.waitFor(1); // 100 Trying after 200 ms
    peer.send(inv.replace(/INVITE/g, "CANCEL"), port);
    await peer.waitFor(3);
    const statuses = peer.received.map((r) => r.kind === "response" && `${r.status} ${r.headers.get("cseq")}`);
    expect(statuses).toContain("200 1 CANCEL");
    expect(statuses).toContain("487 1 INVITE");
    expect(cancelled).toBe(true);
  });

  test("ACK for a 2xx goes to onAck and stops the 2xx retransmission", async () => {
    const { engine, port, peer } = await setup({ timers: { t1Ms: 20, t2Ms: 80, t4Ms: 100 } });
    const acks: SipRequest[] = [];
    engine.onAck((a) => acks.push(a));
    engine.onRequest("INVITE", (_req, tx) => { tx.respond(200); });
    const inv = options(port, peer.port, "UDP", "z9hG4bK-inv-2").replace(/OPTIONS/g, "INVITE");
    peer.send(inv, port);
    await peer.waitFor(2); // the 200 and at least one retransmission of it
    const toTag = peer.received[0].headers.get("to")!;
    const ack = inv.replace("INVITE sip", "ACK sip").replace("1 INVITE", "1 ACK").replace("z9hG4bK-inv-2", "z9hG4bK-ack-2").replace(/^To: .*$/m, `To: ${toTag}`);
    peer.send(ack, port);
    await waitFor("ack delivered", () => acks.length === 1, 2000, 5);
    // Counted at the engine (a datagram already in flight to the peer must not make this flaky).
    const n = engine.stats().retransmissionsSent;
    expect(n).toBeGreaterThan(0);
    await Bun.sleep(300); // several T2 periods: no further retransmission of the 200
    expect(engine.stats().retransmissionsSent).toBe(n);
  });

  test("per-source rate limit drops what is above the burst", async () => {
    const { engine, port, peer } = await setup({ rateLimit: { perSecond: 0.001, burst: 3 } });
    for (let i = 0; i < 10; i++) peer.send(options(port, peer.port), port);
    await peer.waitFor(3);
    await waitFor("drops counted", () => engine.stats().rateLimited === 7, 2000, 5);
    expect(peer.received.length).toBe(3);
  });
});

describe("engine over TCP", () => {
  test("several messages in one read and one message split across reads are all answered", async () => {
    const { port } = await setup();
    const peer = await TcpPeer.connect(port);
    cleanups.push(() => peer.close());
    const a = options(port, peer.localPort, "TCP"), b = options(port, peer.localPort, "TCP"), c = options(port, peer.localPort, "TCP");
    peer.send(a + b);
    const cb = enc(c);
    peer.send(cb.subarray(0, 40));
    await Bun.sleep(20);
    peer.send(cb.subarray(40));
    const got = await peer.waitFor(3);
    expect(got.map((r) => r.kind === "response" && r.status)).toEqual([200, 200, 200]);
  });

  test("a lost framing (bad Content-Length) closes the connection; the listener still works", async () => {
    const { port } = await setup();
    let closed = false;
    const bad = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, close() { closed = true; } } });
    bad.write(enc("OPTIONS sip:x SIP/2.0\nContent-Length: -1\n\n"));
    await waitFor("server closed the connection", () => closed, 2000, 5);
    const peer = await TcpPeer.connect(port);
    cleanups.push(() => peer.close());
    peer.send(options(port, peer.localPort, "TCP"));
    expect((await peer.waitFor(1))[0].kind).toBe("response");
  });
});

describe("client transactions through the engine", () => {
  test("MESSAGE to a UDP peer: the peer's 200 resolves tx.final", async () => {
    const { engine, peer } = await setup();
    const req = engine.createRequest({ method: "MESSAGE", uri: `sip:34020000001320000001@127.0.0.1:${peer.port}`, from: "<sip:34020000002000000001@3402000000>", to: "<sip:34020000001320000001@3402000000>", body: "<Query/>", contentType: "Application/MANSCDP+xml" });
    const tx = engine.sendRequest(req, { transport: "udp", host: "127.0.0.1", port: peer.port });
    const [got] = await peer.waitFor(1);
    expect(got.kind).toBe("request");
    expect(topVia(got)!.params.get("branch")).toMatch(/^z9hG4bK/);
    expect(got.headers.get("user-agent")).toBe("field-gateway");
    peer.send(serialize(makeResponse(got as SipRequest, 200)), engine.localAddress("udp").port);
    const res = await tx.final;
    expect(res.status).toBe(200);
    expect(tx.outcome).toBe("response");
  });

  test("a silent peer gives a local 408 after 64*T1 (T1 = 5 ms here)", async () => {
    const { engine, peer } = await setup({ timers: { t1Ms: 5, t2Ms: 40, t4Ms: 50 } });
    const req = engine.createRequest({ method: "OPTIONS", uri: `sip:127.0.0.1:${peer.port}`, from: "<sip:gw@127.0.0.1>", to: `<sip:127.0.0.1:${peer.port}>` });
    const tx = engine.sendRequest(req, { transport: "udp", host: "127.0.0.1", port: peer.port });
    const res = await tx.final;
    expect(res.status).toBe(408);
    expect(tx.outcome).toBe("timeout");
    expect(peer.raw.length).toBeGreaterThan(3); // Timer E retransmissions reached the peer
  });

  test("over TCP to another engine: request and response on the same connection", async () => {
    const a = await setup();
    const b = await startEngine();
    cleanups.push(() => b.stop());
    let seen = 0;
    b.engine.onRequest("MESSAGE", (_r, tx, src) => { seen++; expect(src.transport).toBe("tcp"); tx.respond(200); });
    const req = a.engine.createRequest({ method: "MESSAGE", uri: `sip:x@127.0.0.1:${b.port}`, from: "<sip:a@127.0.0.1>", to: "<sip:x@127.0.0.1>", body: "hi", contentType: "text/plain" });
    const tx = a.engine.sendRequest(req, { transport: "tcp", host: "127.0.0.1", port: b.port });
    expect((await tx.final).status).toBe(200);
    expect(seen).toBe(1);
  });

  test("TCP connection refused gives a local 503", async () => {
    const { engine } = await setup();
    const req = engine.createRequest({ method: "OPTIONS", uri: "sip:127.0.0.1:1", from: "<sip:gw@127.0.0.1>", to: "<sip:127.0.0.1:1>" });
    const tx = engine.sendRequest(req, { transport: "tcp", host: "127.0.0.1", port: 1 });
    expect((await tx.final).status).toBe(503);
    expect(tx.outcome).toBe("transport-error");
  });
});

describe("resending a request object", () => {
  test("the second send replaces our Via (new branch) instead of stacking a second one", async () => {
    const { engine, peer } = await setup({ timers: { t1Ms: 5, t2Ms: 20, t4Ms: 20 } });
    const req = engine.createRequest({ method: "REGISTER", uri: `sip:127.0.0.1:${peer.port}`, from: "<sip:gw@127.0.0.1>", to: "<sip:gw@127.0.0.1>" });
    const a = engine.sendRequest(req, { transport: "udp", host: "127.0.0.1", port: peer.port });
    const [first] = await peer.waitFor(1);
    peer.send(serialize(makeResponse(first as SipRequest, 401)), engine.localAddress().port);
    expect((await a.final).status).toBe(401);
    req.headers.set("CSeq", "2 REGISTER");
    req.headers.add("Authorization", 'Digest username="gw"');
    engine.sendRequest(req, { transport: "udp", host: "127.0.0.1", port: peer.port });
    await waitFor("second REGISTER", () => peer.received.some((m) => m.headers.get("cseq") === "2 REGISTER"), 2000, 5);
    const second = peer.received.find((m) => m.headers.get("cseq") === "2 REGISTER")!;
    expect(second.headers.getAll("via").length).toBe(1);
    expect(topVia(second)!.params.get("branch")).not.toBe(topVia(first)!.params.get("branch"));
  });
});

describe("building a response to edit", () => {
  test("tx.response() carries the transaction's To tag; tx.send() sends it", async () => {
    const { engine, port, peer } = await setup();
    engine.onRequest("SUBSCRIBE", (_req, tx) => {
      const prov = tx.respond(180);
      const res = tx.response(202);
      res.headers.add("Expires", "600");
      expect(res.headers.get("to")).toBe(prov.headers.get("to"));
      tx.send(res);
    });
    peer.send(options(port, peer.port).replace(/OPTIONS/g, "SUBSCRIBE"), port);
    const [a, b] = await peer.waitFor(2);
    expect(a.kind === "response" && a.status).toBe(180);
    expect(b.kind === "response" && b.status).toBe(202);
    expect(b.headers.get("expires")).toBe("600");
    expect(b.headers.get("to")).toBe(a.headers.get("to"));
  });
});
