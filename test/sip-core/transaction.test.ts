// Transaction state machines and RFC 3261 timers on the simulated clock: what goes on the wire and when.
// The transport boundary of the layer (TxEnv.send) records the sends with their simulated time.
import { describe, expect, test } from "bun:test";
import { SimClock } from "../../app/core/clock.ts";
import { LogHub } from "../../app/core/logger.ts";
import { makeRequest, makeResponse, parse, type SipRequest, type SipResponse } from "../../app/sip/message/index.ts";
import { TimerQueue, TransactionLayer, serverKey, type TxEnv } from "../../app/sip/transaction/index.ts";
import { topVia } from "../../app/sip/message/fields.ts";
import type { Destination, Source } from "../../app/sip/transport/types.ts";

function setup() {
  const clock = new SimClock();
  const t0 = clock.now();
  const sent: { at: number; text: string }[] = [];
  const env: TxEnv = {
    timers: new TimerQueue(clock),
    timerConfig: { t1: 500, t2: 4000, t4: 5000 },
    log: new LogHub(() => clock.now(), () => {}).for("tx"),
    send: (_d, data) => { sent.push({ at: clock.now() - t0, text: Buffer.from(data).toString("latin1") }); },
    terminated: () => {},
    linger: () => {},
    retransmitted: () => {},
    userAgent: "",
  };
  const layer = new TransactionLayer(env);
  return { clock, sent, layer, env };
}

const udp: Destination = { transport: "udp", host: "127.0.0.1", port: 5070 };
const tcp: Destination = { transport: "tcp", host: "127.0.0.1", port: 5070 };
const src: Source = { transport: "udp", address: "127.0.0.1", port: 5070 };

function request(method: string, branch = "z9hG4bKtest1"): SipRequest {
  const r = makeRequest({ method, uri: "sip:34020000001320000001@127.0.0.1:5070", from: "<sip:34020000002000000001@3402000000>", to: "<sip:34020000001320000001@3402000000>" });
  r.headers.prepend("Via", `SIP/2.0/UDP 127.0.0.1:5060;rport;branch=${branch}`);
  return r;
}

function responseTo(req: SipRequest, status: number): SipResponse { return makeResponse(req, status); }

describe("non-INVITE client transaction (RFC 3261 17.1.2)", () => {
  test("Timer E retransmits doubling up to T2; Timer F gives a local 408 at 64*T1", async () => {
    const { clock, sent, layer } = setup();
    const tx = layer.createClient("z9hG4bKe1", request("MESSAGE", "z9hG4bKe1"), udp);
    clock.advance(40_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    const res = await tx.final;
    expect(res.status).toBe(408);
    expect(tx.outcome).toBe("timeout");
    expect(tx.state).toBe("terminated");
    expect(layer.clients.size).toBe(0);
  });

  test("after a provisional, E retransmits every T2", () => {
    const { clock, sent, layer } = setup();
    const req = request("REGISTER", "z9hG4bKe2");
    const tx = layer.createClient("z9hG4bKe2", req, udp);
    const prov: number[] = [];
    tx.onProvisional((r) => prov.push(r.status));
    clock.advance(600); // sends at 0 and 500
    layer.receiveResponse(responseTo(req, 100), topVia(req)!);
    expect(tx.state).toBe("proceeding");
    clock.advance(9_000); // next E fired at 1500 (interval 1000 armed before), then every 4000
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 5500, 9500]);
    expect(prov).toEqual([100]);
  });

  test("over TCP: no retransmission, still a 408 at 64*T1", async () => {
    const { clock, sent, layer } = setup();
    const tx = layer.createClient("z9hG4bKe3", request("MESSAGE", "z9hG4bKe3"), tcp);
    clock.advance(31_999);
    expect(tx.outcome).toBeNull();
    clock.advance(1);
    expect((await tx.final).status).toBe(408);
    expect(sent.length).toBe(1);
  });

  test("a final response completes it; Timer K absorbs retransmitted finals for T4", async () => {
    const { clock, sent, layer } = setup();
    const req = request("MESSAGE", "z9hG4bKe4");
    const tx = layer.createClient("z9hG4bKe4", req, udp);
    const res = responseTo(req, 200);
    expect(layer.receiveResponse(res, topVia(req)!)).toBe(true);
    expect((await tx.final).status).toBe(200);
    expect(tx.outcome).toBe("response");
    expect(tx.state).toBe("completed");
    expect(layer.receiveResponse(res, topVia(req)!)).toBe(true); // absorbed
    clock.advance(4_999);
    expect(layer.clients.size).toBe(1);
    clock.advance(1);
    expect(layer.clients.size).toBe(0);
    expect(sent.length).toBe(1);
  });
});

describe("INVITE client transaction (RFC 3261 17.1.1)", () => {
  test("Timer A doubles without cap, Timer B gives a local 408", async () => {
    const { clock, sent, layer } = setup();
    const tx = layer.createClient("z9hG4bKa1", request("INVITE", "z9hG4bKa1"), udp);
    clock.advance(40_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect((await tx.final).status).toBe(408);
  });

  test("a non-2xx final is ACKed by the transaction, again for each retransmission of it", async () => {
    const { clock, sent, layer } = setup();
    const req = request("INVITE", "z9hG4bKa2");
    const tx = layer.createClient("z9hG4bKa2", req, udp);
    const res = responseTo(req, 486);
    layer.receiveResponse(res, topVia(req)!);
    expect((await tx.final).status).toBe(486);
    expect(sent[1].text.startsWith("ACK sip:34020000001320000001@127.0.0.1:5070 SIP/2.0")).toBe(true);
    expect(sent[1].text).toContain("branch=z9hG4bKa2");
    expect(sent[1].text).toContain("CSeq: 1 ACK");
    layer.receiveResponse(res, topVia(req)!);
    expect(sent.length).toBe(3);
    clock.advance(32_000); // Timer D
    expect(layer.clients.size).toBe(0);
  });
});

describe("server transactions (RFC 3261 17.2)", () => {
  function incoming(layer: TransactionLayer, method: string, branch: string) {
    const req = request(method, branch);
    const wire = parse(new TextEncoder().encode(`${req.method} ${req.uri} SIP/2.0\r\n${req.headers.fields.map((f) => `${f.name}: ${f.value}`).join("\r\n")}\r\n\r\n`));
    if (!wire.ok || wire.message.kind !== "request") throw new Error("bad fixture");
    const key = serverKey(wire.message, topVia(wire.message)!);
    return { req: wire.message, key, tx: layer.createServer(key, wire.message, src) };
  }

  test("INVITE: 100 Trying after 200 ms when the user is slow", () => {
    const { clock, sent, layer } = setup();
    incoming(layer, "INVITE", "z9hG4bKs0");
    clock.advance(199);
    expect(sent.length).toBe(0);
    clock.advance(1);
    expect(sent[0].text.startsWith("SIP/2.0 100 Trying")).toBe(true);
  });

  test("INVITE: Timer G retransmits the final response until the ACK; Timer I then ends it", () => {
    const { clock, sent, layer } = setup();
    const { tx, key } = incoming(layer, "INVITE", "z9hG4bKs1");
    tx.respond(486);
    clock.advance(8_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500]);
    expect(sent.every((s) => s.text.startsWith("SIP/2.0 486 Busy Here"))).toBe(true);
    const acks: (SipRequest | null)[] = [];
    tx.onAck((a) => acks.push(a));
    const ack = request("ACK", "z9hG4bKs1");
    expect(layer.findServer(serverKey(ack, topVia(ack)!))).toBe(layer.findServer(key));
    layer.findServer(serverKey(ack, topVia(ack)!))!.ack(ack);
    expect(tx.state).toBe("confirmed");
    expect(acks.length).toBe(1);
    clock.advance(4_999);
    expect(sent.length).toBe(5); // no more retransmissions
    expect(layer.servers.size).toBe(1);
    clock.advance(1); // Timer I = T4
    expect(layer.servers.size).toBe(0);
  });

  test("INVITE: without an ACK, Timer H ends it at 64*T1 and reports the missing ACK", () => {
    const { clock, sent, layer } = setup();
    const { tx } = incoming(layer, "INVITE", "z9hG4bKs2");
    const acks: (SipRequest | null)[] = [];
    tx.onAck((a) => acks.push(a));
    tx.respond(603);
    clock.advance(32_000);
    expect(acks).toEqual([null]);
    expect(tx.state).toBe("terminated");
    // G: 500, 1000, 2000, 4000, 4000... capped at T2
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  });

  test("INVITE 2xx: retransmitted until the ACK (RFC 3261 13.3.1.4), ACK matched by dialog", () => {
    const { clock, sent, layer } = setup();
    const { tx, req } = incoming(layer, "INVITE", "z9hG4bKs3");
    tx.respond(200);
    clock.advance(2_000);
    expect(sent.length).toBe(3);
    const ack = request("ACK", "z9hG4bKdifferent");
    ack.headers.set("call-id", req.headers.get("call-id")!);
    ack.headers.set("from", req.headers.get("from")!);
    layer.findForAck(ack)!.ack(ack);
    clock.advance(10_000);
    expect(sent.length).toBe(3);
  });

  test("non-INVITE: a retransmitted request gets the same final response; Timer J ends it", () => {
    const { clock, sent, layer } = setup();
    const { tx, key } = incoming(layer, "MESSAGE", "z9hG4bKs4");
    tx.respond(200);
    layer.findServer(key)!.retransmission();
    expect(sent.length).toBe(2);
    expect(sent[1].text).toBe(sent[0].text);
    tx.respond(500); // a second final is ignored
    expect(sent.length).toBe(2);
    clock.advance(32_000);
    expect(layer.servers.size).toBe(0);
  });

  test("non-INVITE: in Trying a retransmission is absorbed silently", () => {
    const { sent, layer } = setup();
    const { key } = incoming(layer, "REGISTER", "z9hG4bKs5");
    layer.findServer(key)!.retransmission();
    expect(sent.length).toBe(0);
  });
});

describe("timer queue", () => {
  test("fires in deadline order, cancels lazily, one clock timer", () => {
    const clock = new SimClock();
    const q = new TimerQueue(clock);
    const fired: string[] = [];
    q.schedule(300, () => fired.push("c"));
    const b = q.schedule(200, () => fired.push("b"));
    q.schedule(100, () => { fired.push("a"); q.schedule(50, () => fired.push("a2")); });
    q.cancel(b);
    expect(clock.pending()).toBe(1);
    clock.advance(1000);
    expect(fired).toEqual(["a", "a2", "c"]);
    expect(q.size).toBe(0);
  });

  test("ten thousand timers cost one clock timer", () => {
    const clock = new SimClock();
    const q = new TimerQueue(clock);
    let n = 0;
    for (let i = 0; i < 10_000; i++) q.schedule(1000 + (i % 977), () => n++);
    expect(clock.pending()).toBe(1);
    clock.advance(3000);
    expect(n).toBe(10_000);
  });
});

describe("timer queue under churn", () => {
  test("mostly cancelled timers are compacted and the rest still fire in order", () => {
    const clock = new SimClock();
    const q = new TimerQueue(clock);
    const fired: number[] = [];
    const handles = [];
    for (let i = 0; i < 5000; i++) handles.push(q.schedule(10_000 - i, () => fired.push(10_000 - i)));
    for (let i = 0; i < 5000; i++) if (i % 10 !== 0) q.cancel(handles[i]); // forces a rebuild
    clock.advance(20_000);
    expect(fired.length).toBe(500);
    expect(fired).toEqual([...fired].sort((a, b) => a - b));
  });
});

describe("lingering completed transactions", () => {
  test("bounded: beyond maxLingering the oldest end early; the rest still absorb retransmissions", () => {
    const { clock, sent, layer } = setup();
    layer.maxLingering = 100;
    const keys: string[] = [];
    for (let i = 0; i < 250; i++) {
      const req = request("MESSAGE", `z9hG4bKlinger${i}`);
      const key = serverKey(req, topVia(req)!);
      keys.push(key);
      layer.createServer(key, req, src).respond(200);
    }
    expect(layer.servers.size).toBe(100);
    expect(layer.lingerEvicted).toBe(150);
    expect(layer.findServer(keys[0])).toBeUndefined();
    layer.findServer(keys[249])!.retransmission();
    expect(sent.length).toBe(251);
    clock.advance(32_000);
    expect(layer.servers.size).toBe(0);
  });
});

describe("transactions a user forgets", () => {
  test("a non-INVITE request never answered gets 408 at 64*T1 and the transaction ends", () => {
    const { clock, sent, layer } = setup();
    const req = request("MESSAGE", "z9hG4bKforgot");
    layer.createServer(serverKey(req, topVia(req)!), req, src);
    clock.advance(31_999);
    expect(sent.length).toBe(0);
    clock.advance(1);
    expect(sent[0].text.startsWith("SIP/2.0 408")).toBe(true);
    clock.advance(32_000);
    expect(layer.servers.size).toBe(0);
  });
});

describe("timer queue memory", () => {
  test("a cancelled or fired timer no longer holds its closure (lingering transactions stay small)", () => {
    const clock = new SimClock();
    const q = new TimerQueue(clock);
    const big = { payload: new Uint8Array(1000) };
    const a = q.schedule(100, () => void big);
    const b = q.schedule(50, () => void big);
    q.cancel(a);
    clock.advance(60);
    const fnA = a.fn.toString(), fnB = b.fn.toString();
    expect(fnA.includes("big")).toBe(false);
    expect(fnB.includes("big")).toBe(false);
  });
});
