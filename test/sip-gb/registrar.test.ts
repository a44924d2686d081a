// The REGISTER handler and the platform's MESSAGE/BYE handling, against a real SQLite (in memory)
// and the simulated clock: challenge, per-device vs global passwords, 403 and bans, Expires clamp and
// 423, Expires: 0, persistence across a restart with re-verification, keepalives, warnings.
import { describe, expect, test } from "bun:test";
import { authorize, gbSetup, keepalive, register, req, wwwAuth } from "./fixtures.ts";

const CAM = "34020000001320000001";

function registerWith(t: ReturnType<typeof gbSetup>, id: string, user: string, password: string, extra: Record<string, string> = {}, source?: any) {
  const ch = t.gb.handle(register(id, extra, source))!;
  if (ch.status !== 401) return ch;
  return t.gb.handle(register(id, { ...extra, Authorization: authorize(wwwAuth(ch), user, password) }, source))!;
}

describe("registrar", () => {
  test("401 challenge, then 200 with Contact;expires, Expires and a GB Date; the device is online", () => {
    const t = gbSetup({ password: "12345678" });
    const ch = t.gb.handle(register(CAM))!;
    expect(ch.status).toBe(401);
    expect(wwwAuth(ch)).toMatch(/^Digest realm="3402000000", nonce="[^"]+", algorithm=MD5, qop="auth"$/);
    const ok = t.gb.handle(register(CAM, { Authorization: authorize(wwwAuth(ch), CAM, "12345678"), Expires: "3600" }))!;
    expect(ok.status).toBe(200);
    const h = Object.fromEntries(ok.headers!);
    expect(h.Contact).toBe(`<sip:${CAM}@127.0.0.1:5070>;expires=3600`);
    expect(h.Expires).toBe("3600");
    expect(h.Date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
    expect(t.gb.liveness.get(CAM)!.state).toBe("online");
    expect(t.events.find((e) => e.name === "sip.device.online")?.payload).toMatchObject({ device: CAM, reason: "registered", address: "127.0.0.1:5070" });
    expect(t.gb.store.get(CAM)).toMatchObject({ contact: `sip:${CAM}@127.0.0.1:5070`, address: "127.0.0.1:5070", state: "online", reason: "registered" });
  });

  test("statelessAnswer: the first 401 needs no state and its nonce authenticates; credentials, bans and open registration go to handle()", () => {
    const t = gbSetup({ password: "12345678", ban: { maxFailures: 1, seconds: 60, windowSeconds: 600 } });
    const ch = t.gb.registrar.statelessAnswer(register(CAM))!;
    expect(ch.status).toBe(401);
    expect(wwwAuth(ch)).toMatch(/^Digest realm="3402000000", nonce="[^"]+", algorithm=MD5, qop="auth"$/);
    const withAuth = register(CAM, { Authorization: authorize(wwwAuth(ch), CAM, "12345678") });
    expect(t.gb.registrar.statelessAnswer(withAuth)).toBeNull();
    expect(t.gb.handle(withAuth)!.status).toBe(200);
    expect(t.gb.registrar.counters).toMatchObject({ registers: 2, challenges: 1, accepted: 1 });
    // a banned source is refused by handle() (403, counted), not challenged
    const src = { host: "192.0.2.9", port: 5060, transport: "udp" };
    const other = "34020000001320000002";
    const ch2 = t.gb.registrar.statelessAnswer(register(other, {}, src))!;
    expect(t.gb.handle(register(other, { Authorization: authorize(wwwAuth(ch2), other, "wrong") }, src))!.status).toBe(403);
    expect(t.gb.registrar.statelessAnswer(register(other, {}, src))).toBeNull();
    expect(t.gb.handle(register(other, {}, src))).toMatchObject({ status: 403, reason: "Forbidden (banned)" });
    // no password at all: nothing to challenge
    expect(gbSetup({}).gb.registrar.statelessAnswer(register(CAM))).toBeNull();
  });

  test("global password: any digest username (as pv_www_authenticate); per-device password: only its own ID", () => {
    const t = gbSetup({ password: "global", devices: [{ id: CAM, password: "own" }] });
    expect(registerWith(t, "34020000001320000099", "someone-else", "global").status).toBe(200);
    expect(registerWith(t, CAM, CAM, "global").status).toBe(403);       // its own password overrides
    expect(registerWith(t, CAM, "34020000001320000099", "own").status).toBe(403); // right password, wrong username
    expect(registerWith(t, CAM, CAM, "own").status).toBe(200);
  });

  test("a renewal that changes only the times is written once its stored expiry is less than half the registration away; other changes at once", () => {
    const t = gbSetup({ password: "pw" });
    const row = () => { t.gb.store.writePending(); return t.db.query("SELECT contact, registered_at, expires_at, last_heard FROM sip_devices WHERE id = ?").get(CAM) as any; };
    expect(registerWith(t, CAM, CAM, "pw", { Expires: "3600" }).status).toBe(200);
    const first = row();
    expect(first.expires_at).toBe(t.clock.now() + 3_600_000);
    t.clock.advance(60_000);
    expect(registerWith(t, CAM, CAM, "pw", { Expires: "3600" }).status).toBe(200);
    expect(row()).toEqual(first);                                    // 59 min still stored: not written
    expect(t.gb.liveness.get(CAM)!.registeredUntil).toBe(t.clock.now() + 3_600_000); // memory has the renewal
    t.clock.advance(1_741_000);                                      // stored expiry now 1,799 s away
    expect(registerWith(t, CAM, CAM, "pw", { Expires: "3600" }).status).toBe(200);
    expect(row().expires_at).toBe(t.clock.now() + 3_600_000);       // less than half: written
    t.clock.advance(1000);
    const moved = registerWith(t, CAM, CAM, "pw", { Expires: "3600", Contact: `<sip:${CAM}@192.0.2.5:5060>` });
    expect(moved.status).toBe(200);
    expect(row()).toMatchObject({ contact: `sip:${CAM}@192.0.2.5:5060`, expires_at: t.clock.now() + 3_600_000 }); // new contact: at once
    const movedAt = t.clock.now();
    t.clock.advance(5000);
    expect(registerWith(t, CAM, CAM, "pw", { Expires: "3600", Contact: `<sip:${CAM}@192.0.2.5:5060>` }).status).toBe(200);
    t.gb.flush();
    expect(row().last_heard).toBe(movedAt);                           // skipped renewal 5 s later: last-heard not rewritten yet
    t.clock.advance(30_000);
    expect(registerWith(t, CAM, CAM, "pw", { Expires: "3600", Contact: `<sip:${CAM}@192.0.2.5:5060>` }).status).toBe(200);
    t.gb.flush();
    expect(row().last_heard).toBe(t.clock.now());                     // moved 35 s: the periodic flush writes it
    t.clock.advance(1000);
    expect(registerWith(t, CAM, CAM, "pw", { Expires: "3600", Contact: `<sip:${CAM}@192.0.2.5:5060>` }).status).toBe(200);
    t.gb.stop();
    expect(row().last_heard).toBe(t.clock.now());                     // at stop every change is written
  });

  test("no password configured: registration is open", () => {
    const t = gbSetup({});
    expect(t.gb.handle(register(CAM))!.status).toBe(200);
  });

  test("three wrong passwords ban the device ID and the source; the ban is listed, expires, and can be lifted", () => {
    const t = gbSetup({ password: "pw", ban: { maxFailures: 3, seconds: 60, windowSeconds: 600 } });
    const src = { host: "192.0.2.9", port: 5060, transport: "udp" };
    for (let i = 0; i < 3; i++) expect(registerWith(t, CAM, CAM, "wrong", {}, src).status).toBe(403);
    const banned = t.gb.handle(register(CAM, {}, src))!;
    expect(banned).toMatchObject({ status: 403, reason: "Forbidden (banned)" });
    expect(t.gb.bans.list().map((b) => `${b.kind}:${b.key}`).sort()).toEqual([`device:${CAM}`, "source:192.0.2.9"]);
    expect(t.events.filter((e) => e.name === "sip.device.banned").length).toBe(2);
    // another device from the banned source is refused too; the right password from elsewhere is refused for the banned ID
    expect(t.gb.handle(register("34020000001320000002", {}, src))!.status).toBe(403);
    expect(registerWith(t, CAM, CAM, "pw").status).toBe(403);
    t.clock.advance(60_001);
    expect(t.gb.bans.list()).toEqual([]);
    expect(registerWith(t, CAM, CAM, "pw", {}, src).status).toBe(200);
    for (let i = 0; i < 3; i++) registerWith(t, CAM, CAM, "wrong");
    expect(t.gb.bans.lift(CAM)).toBe(true);
    expect(registerWith(t, CAM, CAM, "pw", {}, { host: "192.0.2.10", port: 5060, transport: "udp" }).status).toBe(200);
  });

  test("an expired nonce with the right password gets 401 stale=true, not 403", () => {
    const t = gbSetup({ password: "pw", nonceTtl: 30 });
    const ch = t.gb.handle(register(CAM))!;
    t.clock.advance(31_000);
    const r = t.gb.handle(register(CAM, { Authorization: authorize(wwwAuth(ch), CAM, "pw") }))!;
    expect(r.status).toBe(401);
    expect(wwwAuth(r)).toContain("stale=true");
    expect(t.gb.bans.list()).toEqual([]);
  });

  test("Expires: 423 below minExpires, clamped to maxExpires, contact parameter wins, garbage is 400", () => {
    const t = gbSetup({ minExpires: 60, maxExpires: 7200 });
    const brief = t.gb.handle(register(CAM, { Expires: "59" }))!;
    expect(brief.status).toBe(423);
    expect(Object.fromEntries(brief.headers!)["Min-Expires"]).toBe("60");
    expect(Object.fromEntries(t.gb.handle(register(CAM, { Expires: "99999" }))!.headers!).Expires).toBe("7200");
    const viaParam = t.gb.handle(req("REGISTER", { To: `<sip:${CAM}@3402000000>`, Contact: `<sip:${CAM}@127.0.0.1:5070>;expires=120`, Expires: "3600" }))!;
    expect(Object.fromEntries(viaParam.headers!).Expires).toBe("120");
    expect(t.gb.handle(register(CAM, { Expires: "soon" }))!.status).toBe(400);
    expect(t.gb.handle(req("REGISTER", { Contact: "<sip:x@1.2.3.4>" }))!.status).toBe(400);
  });

  test("Expires: 0 unregisters at once; keepalives are then answered 404", () => {
    const t = gbSetup({});
    t.gb.handle(register(CAM));
    const r = t.gb.handle(register(CAM, { Expires: "0" }))!;
    expect(r.status).toBe(200);
    expect(t.gb.liveness.get(CAM)).toMatchObject({ state: "offline", reason: "unregistered" });
    expect(t.gb.store.get(CAM)!.expires_at).toBe(0);
    expect(t.gb.handle(keepalive(CAM))!.status).toBe(404);
    expect(t.gb.handle(req("REGISTER", { To: `<sip:${CAM}@3402000000>`, Contact: "*", Expires: "0" }))!.status).toBe(200);
    expect(t.gb.handle(req("REGISTER", { To: `<sip:${CAM}@3402000000>`, Contact: "*" }))!.status).toBe(400);
  });

  test("warning when the registration is shorter than the keepalive window (once per value)", () => {
    const t = gbSetup({ keepaliveInterval: 60, keepaliveTimeoutCount: 3 });
    t.gb.handle(register(CAM, { Expires: "120" }));
    t.gb.handle(register(CAM, { Expires: "120" }));
    const w = t.events.filter((e) => e.name === "sip.device.warning");
    expect(w.length).toBe(1);
    expect(w[0].payload).toMatchObject({ device: CAM, warning: "expiry-shorter-than-keepalive-window", detail: { expires: 120, keepaliveWindow: 180 } });
  });
});

describe("platform", () => {
  test("keepalive → 200 and heard; from a new address → warning; silence → offline in the window", () => {
    const t = gbSetup({ keepaliveInterval: 1, keepaliveTimeoutCount: 2 });
    t.gb.start();
    t.gb.handle(register(CAM));
    t.clock.advance(1500);
    expect(t.gb.handle(keepalive(CAM))!.status).toBe(200);
    expect(t.gb.liveness.get(CAM)!.lastHeard).toBe(t.clock.now());
    t.gb.handle(keepalive(CAM, 2, { host: "127.0.0.1", port: 6000, transport: "udp" }));
    expect(t.events.find((e) => e.name === "sip.device.warning")?.payload).toMatchObject({ warning: "address-changed", detail: { from: "127.0.0.1:5070", to: "127.0.0.1:6000" } });
    const heard = t.clock.now();
    t.clock.advance(1999);
    expect(t.gb.liveness.get(CAM)!.state).toBe("online");
    t.clock.advance(1000);
    const off = t.events.find((e) => e.name === "sip.device.offline")!.payload;
    expect(off).toMatchObject({ device: CAM, reason: "keepalive-timeout" });
    expect(off.ts - heard).toBeGreaterThanOrEqual(2000);
    expect(off.ts - heard).toBeLessThanOrEqual(3000);
    t.gb.stop();
  });

  test("bad bodies get 400, other content types 415, unknown devices 404, BYE → offline", () => {
    const t = gbSetup({});
    t.gb.handle(register(CAM));
    const from = { From: `<sip:${CAM}@3402000000>;tag=x` };
    expect(t.gb.handle(req("MESSAGE", { ...from, "Content-Type": "Application/MANSCDP+xml" }, "<Notify><oops"))!.status).toBe(400);
    expect(t.gb.handle(req("MESSAGE", { ...from, "Content-Type": "text/plain" }, "hello"))!.status).toBe(415);
    expect(t.gb.handle(keepalive("34020000001320000077"))!.status).toBe(404);
    expect(t.gb.handle(req("BYE", from))!.status).toBe(200);
    expect(t.gb.liveness.get(CAM)).toMatchObject({ state: "offline", reason: "bye" });
    expect(t.gb.handle(req("BYE", { From: "<sip:nobody@x>" }))!.status).toBe(481);
    expect(t.gb.handle(req("OPTIONS", from))).toBeUndefined();
  });

  test("after REGISTER: Catalog and DeviceInfo queries; multi-packet Catalog stored; DeviceInfo stored", async () => {
    const t = gbSetup({ queryOnRegister: true });
    t.gb.handle(register(CAM));
    t.clock.advance(200);
    await Bun.sleep(0);
    expect(t.sent.map((s) => /<CmdType>(\w+)</.exec(String(s.body))![1]).sort()).toEqual(["Catalog", "DeviceInfo"]);
    const q = t.sent[0];
    expect(q).toMatchObject({ method: "MESSAGE", uri: `sip:${CAM}@127.0.0.1:5070`, dest: { host: "127.0.0.1", port: 5070 }, contentType: "Application/MANSCDP+xml" });
    const sn = /<SN>(\d+)</.exec(String(t.sent.find((s) => String(s.body).includes("Catalog"))!.body))![1];
    const packet = (ids: string[]) => req("MESSAGE", { From: `<sip:${CAM}@3402000000>;tag=c`, "Content-Type": "Application/MANSCDP+xml" },
      `<?xml version="1.0" encoding="GB2312"?><Response><CmdType>Catalog</CmdType><SN>${sn}</SN><DeviceID>${CAM}</DeviceID><SumNum>3</SumNum><DeviceList Num="${ids.length}">${ids.map((i) => `<Item><DeviceID>${i}</DeviceID><Name>ch ${i}</Name><Status>ON</Status></Item>`).join("")}</DeviceList></Response>`);
    expect(t.gb.handle(packet(["34020000001310000001", "34020000001310000002"]))!.status).toBe(200);
    expect(t.gb.store.channels(CAM).length).toBe(0);
    t.gb.handle(packet(["34020000001310000003"]));
    expect(t.gb.store.channels(CAM).map((c) => c.channel_id)).toEqual(["34020000001310000001", "34020000001310000002", "34020000001310000003"]);
    expect(t.gb.store.get(CAM)!.catalog_complete).toBe(1);
    t.gb.handle(req("MESSAGE", { From: `<sip:${CAM}@3402000000>;tag=d`, "Content-Type": "Application/MANSCDP+xml" },
      `<Response><CmdType>DeviceInfo</CmdType><SN>1</SN><DeviceID>${CAM}</DeviceID><Manufacturer>ACME</Manufacturer><Model>X1</Model><Channel>3</Channel></Response>`));
    expect(JSON.parse(t.gb.store.get(CAM)!.device_info)).toMatchObject({ Manufacturer: "ACME", Model: "X1", Channel: "3" });
  });

  test("a 408 or 481 to a query takes the device offline at once", async () => {
    for (const [status, reason] of [[408, "timeout"], [481, "no-transaction"]] as const) {
      const t = gbSetup({ queryOnRegister: false });
      t.gb.handle(register(CAM));
      t.setAnswer(async () => ({ status }));
      expect(await t.gb.platform.query(CAM, "DeviceInfo")).toBe(status);
      expect(t.gb.liveness.get(CAM)).toMatchObject({ state: "offline", reason });
    }
  });

  test("restart: devices restored offline, re-verified by paced queries, online only when answered", async () => {
    const first = gbSetup({ queryOnRegister: false, queryPerSecond: 10 });
    first.gb.start();
    for (let i = 0; i < 30; i++) first.gb.handle(register(`3402000000132${String(i).padStart(7, "0")}`));
    first.gb.stop();
    const t = gbSetup({ queryOnRegister: false, queryPerSecond: 10 }, first.db, first.clock);
    t.setAnswer(async (r) => ({ status: r.uri.includes("0000007@") ? 408 : 200 }));
    t.gb.start();
    expect(t.gb.liveness.onlineCount).toBe(0);
    expect(t.events.filter((e) => e.name === "sip.device.offline" && e.payload.reason === "gateway-restart").length).toBe(30);
    t.clock.advance(1000); await Bun.sleep(0);
    expect(t.sent.length).toBeGreaterThanOrEqual(9);
    expect(t.sent.length).toBeLessThanOrEqual(12);   // paced: about 10 a second, not 30 at once
    t.clock.advance(3000); await Bun.sleep(0);
    expect(t.sent.length).toBe(30);
    expect(t.gb.liveness.onlineCount).toBe(29);
    expect(t.gb.liveness.get("34020000001320000007")).toMatchObject({ state: "offline", reason: "timeout" });
    t.gb.stop();
  });
});
