// Transaction users of the SIP engine: the GB/T 28181 registrar, platform and liveness (gb28181/),
// attached to the engine that install.ts builds. This file is the only place that knows the engine's
// shape: it turns engine requests into the small InRequest of registrar/port.ts and back, registers
// the HTTP routes, health check, metrics, status section and the outward (MQTT) events.
import type { Gateway } from "../gateway.ts";
import { sipDeviceRoutes } from "./api.ts";
import { GbService } from "./gb28181/service.ts";
import { uriUser } from "./registrar/aor.ts";
import type { InRequest, OutRequest } from "./registrar/port.ts";

/** What this file uses of app/sip/engine.ts (SipEngine satisfies it structurally). */
export interface EngineLike {
  onRequest(method: string, handler: (req: EngineRequest, tx: EngineServerTx, source: EngineSource) => void | Promise<void>): () => void;
  createRequest(o: { method: string; uri: string; from: string; to: string; body?: Uint8Array | string; contentType?: string }): unknown;
  /** Optional: stateless answers before a server transaction exists (RFC 3261 8.2.7). */
  onStateless?(method: string, handler: (req: EngineRequest, source: EngineSource) => { status: number; reason?: string; headers?: Iterable<[string, string]> } | null): () => void;
  sendRequest(req: any, dest: EngineSource | { transport: "udp" | "tcp"; host: string; port: number }): { final: Promise<{ status: number; reason: string }> };
}
interface EngineRequest { method: string; uri: string; headers: { get(n: string): string | undefined; getAll(n: string): string[] }; body: Uint8Array }
interface EngineServerTx { respond(status: number, reason?: string, opts?: { headers?: Iterable<[string, string]>; body?: Uint8Array | string; contentType?: string }): unknown }
interface EngineSource { transport: "udp" | "tcp"; address: string; port: number; connId?: number }

export function installSipUsers(gw: Gateway, engine: EngineLike | unknown): GbService {
  const settings = () => gw.config.current.sip.gb28181;
  const log = gw.logs.for("sip.gb28181");
  const eng = engine as EngineLike;
  /** The engine's own Source of each device's last REGISTER (keeps a TCP device's connection). */
  const sources = new Map<string, EngineSource>();

  const send = async (r: OutRequest): Promise<{ status: number; reason?: string }> => {
    const id = /sip:([^@]+)@/.exec(r.to)?.[1] ?? "";
    const src = sources.get(id);
    const dest = src && src.address === r.dest.host && src.port === r.dest.port ? src : { transport: (r.dest.transport === "tcp" ? "tcp" : "udp") as "udp" | "tcp", host: r.dest.host, port: r.dest.port };
    const req = eng.createRequest({ method: r.method, uri: r.uri, from: r.from, to: r.to, body: r.body, contentType: r.contentType });
    const res = await eng.sendRequest(req, dest).final;
    return { status: res.status, reason: res.reason };
  };

  const gb = new GbService({ settings, clock: gw.clock, bus: gw.bus, db: gw.store.db, log, send });

  const inRequest = (req: EngineRequest, source: EngineSource): InRequest => ({
    method: req.method, uri: req.uri,
    header: (n) => req.headers.get(n),
    headers: (n) => req.headers.getAll(n),
    body: req.body,
    source: { host: source.address, port: source.port, transport: source.transport },
  });
  const handler = (req: EngineRequest, tx: EngineServerTx, source: EngineSource) => {
    const a = gb.handle(inRequest(req, source));
    if (!a) { tx.respond(405); return; }
    if (req.method === "REGISTER" && a.status === 200) {
      const id = uriUser(req.headers.get("to"));
      if (id) sources.set(id, source);
    }
    tx.respond(a.status, a.reason, { headers: a.headers, body: a.body, contentType: a.contentType });
  };
  if (engine && typeof eng.onRequest === "function") for (const m of ["REGISTER", "MESSAGE", "BYE"]) eng.onRequest(m, handler);
  // The first 401 of every registration without a server transaction: half the transactions a
  // registration costs, and nothing lingering 32 s (Timer J) for a challenge that holds no state.
  if (engine && typeof eng.onStateless === "function") eng.onStateless("REGISTER", (req, source) => gb.registrar.statelessAnswer(inRequest(req, source)) ?? null);
  else log.warn("no SIP engine: the registrar is not reachable");

  gw.lifecycle.add(gb);
  gw.web.add(...sipDeviceRoutes(gb, () => gw.clock.now()));

  gw.recorder.publish("sip.device.online", "critical");
  gw.recorder.publish("sip.device.offline", "critical");
  gw.recorder.publish("sip.device.warning", "normal");
  gw.recorder.publish("sip.device.banned", "normal");
  gw.recorder.publish("sip.device.catalog", "bulk");

  gw.statusSections.set("gb28181", () => ({
    devices: gb.liveness.size, online: gb.liveness.onlineCount, bans: gb.bans.list().length,
    registrar: gb.registrar.counters, platform: gb.platform.counters, queriesQueued: gb.pacer.size,
  }));
  gw.health.add(() => ({ name: "sip-devices", ok: true, value: `${gb.liveness.onlineCount}/${gb.liveness.size} online`, threshold: null }));
  gw.metrics.add(() => {
    const r = gb.registrar.counters, p = gb.platform.counters;
    const c = (name: string, help: string, value: number, labels?: Record<string, string>) => ({ name, help, type: "counter" as const, value, labels });
    return [
      { name: "sip_devices", help: "GB/T 28181 devices known, by state", type: "gauge", value: gb.liveness.onlineCount, labels: { state: "online" } },
      { name: "sip_devices", help: "GB/T 28181 devices known, by state", type: "gauge", value: gb.liveness.size - gb.liveness.onlineCount, labels: { state: "offline" } },
      { name: "sip_bans", help: "Active bans (device IDs and source IPs)", type: "gauge", value: gb.bans.list().length },
      c("sip_register_total", "REGISTER requests by outcome", r.accepted, { result: "accepted" }),
      c("sip_register_total", "REGISTER requests by outcome", r.challenges, { result: "challenged" }),
      c("sip_register_total", "REGISTER requests by outcome", r.unregisters, { result: "unregistered" }),
      c("sip_register_total", "REGISTER requests by outcome", r.authFailures, { result: "auth-failed" }),
      c("sip_register_total", "REGISTER requests by outcome", r.rejectedBanned, { result: "banned" }),
      c("sip_register_total", "REGISTER requests by outcome", r.tooBrief, { result: "too-brief" }),
      c("sip_keepalives_total", "Keepalive notifies received", p.keepalives),
      c("sip_messages_total", "MESSAGE requests from devices", p.messages),
      c("sip_queries_total", "Queries sent to devices", p.queriesSent),
      c("sip_queries_failed_total", "Queries answered 408/481 (device taken offline)", p.queriesFailed),
    ];
  });
  return gb;
}
