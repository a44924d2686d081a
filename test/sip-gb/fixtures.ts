// Shared set-up for the unit tests of the registrar and platform: a GbService on an in-memory
// SQLite with the sip migrations, a SimClock, a settable sender, and requests built as the engine
// would hand them over.
import { Database } from "bun:sqlite";
import { Value } from "@sinclair/typebox/value";
import { EventBus } from "../../app/core/bus.ts";
import { SimClock } from "../../app/core/clock.ts";
import { LogHub } from "../../app/core/logger.ts";
import { Gb28181Config } from "../../app/sip/gb28181/config.ts";
import { GbService } from "../../app/sip/gb28181/service.ts";
import { sipMigrations } from "../../app/sip/migrations.ts";
import type { InRequest, OutRequest } from "../../app/sip/registrar/port.ts";
import { digestResponse } from "../../app/sip/registrar/digest.ts";

export function settingsOf(over: Record<string, unknown> = {}) {
  return Value.Default(Gb28181Config, structuredClone(over)) as any;
}

export function gbSetup(over: Record<string, unknown> = {}, db = new Database(":memory:"), clock = new SimClock()) {
  if (!db.query("SELECT name FROM sqlite_master WHERE name = 'sip_devices'").get()) for (const m of sipMigrations) db.exec(m.sql);
  const settings = settingsOf(over);
  const bus = new EventBus();
  const events: { name: string; payload: any }[] = [];
  bus.onAny((name, payload) => events.push({ name, payload }));
  const sent: OutRequest[] = [];
  let answer: (r: OutRequest) => Promise<{ status: number }> = async () => ({ status: 200 });
  const gb = new GbService({
    settings: () => settings, clock, bus, db, log: new LogHub(() => clock.now(), () => {}).for("sip"),
    send: (r) => { sent.push(r); return answer(r); },
  });
  return { gb, clock, bus, events, sent, settings, db, setAnswer: (f: typeof answer) => { answer = f; } };
}

export function req(method: string, headers: Record<string, string | string[]>, body = "", source = { host: "127.0.0.1", port: 5070, transport: "udp" }): InRequest {
  const h = Object.entries(headers).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => [k.toLowerCase(), x] as const));
  return {
    method, uri: "sip:34020000002000000001@3402000000",
    header: (n) => h.find(([k]) => k === n.toLowerCase())?.[1],
    headers: (n) => h.filter(([k]) => k === n.toLowerCase()).map(([, v]) => v),
    body: new TextEncoder().encode(body),
    source,
  };
}

export function register(id: string, extra: Record<string, string> = {}, source?: { host: string; port: number; transport: string }) {
  return req("REGISTER", {
    To: `<sip:${id}@3402000000>`, From: `<sip:${id}@3402000000>;tag=1`, "Call-ID": `c-${id}`, CSeq: "1 REGISTER",
    Contact: `<sip:${id}@127.0.0.1:5070>`, ...extra,
  }, "", source);
}

/** Authorization for `challenge` (a WWW-Authenticate value). */
export function authorize(challenge: string, username: string, password: string, nc = "00000001") {
  const nonce = /nonce="([^"]+)"/.exec(challenge)![1];
  const realm = /realm="([^"]+)"/.exec(challenge)![1];
  const uri = "sip:34020000002000000001@3402000000";
  const response = digestResponse({ username, realm, password, method: "REGISTER", uri, nonce, qop: "auth", nc, cnonce: "0a4f113b" });
  return `Digest username="${username}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="0a4f113b"`;
}

export function wwwAuth(a: { headers?: [string, string][] }): string {
  return a.headers?.find(([k]) => k === "WWW-Authenticate")?.[1] ?? "";
}

export function keepalive(id: string, sn = 1, source?: { host: string; port: number; transport: string }) {
  return req("MESSAGE", { From: `<sip:${id}@3402000000>;tag=k`, To: "<sip:34020000002000000001@3402000000>", "Content-Type": "Application/MANSCDP+xml" },
    `<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${id}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`, source);
}
