// The MQTT uplink: one persistent session per box (client id = gateway id, clean: false, so commands
// sent while it was away still arrive), retained `status` with a Last Will, and the outbox drain:
// QoS 1 messages, a bounded number in flight, rows deleted only on PUBACK.
import mqtt, { type IClientOptions, type MqttClient, type IClientPublishOptions } from "mqtt";
import { readFileSync } from "node:fs";
import type { EventBus } from "../core/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Config } from "../config/schema.ts";
import type { Outbox } from "../store/outbox.ts";
import { Backoff } from "./backoff.ts";
import { baseTopic, topics } from "./topics.ts";

export type UplinkState = "buffering" | "connecting" | "connected" | "refused" | "stopped";

export interface UplinkStatus {
  state: UplinkState;
  url: string;
  detail: string;
  connectedSince: number | null;
  lastError: string | null;
  inflight: number;
  sentMessages: number;
  ackedMessages: number;
  reconnects: number;
}

export type CommandHandler = (topic: string, payload: Buffer, packet: { properties?: Record<string, any> }) => void;

declare module "../core/bus.ts" {
  interface EventMap { "uplink.connected": { url: string }; "uplink.disconnected": { reason: string } }
}

export interface MqttUplinkDeps {
  config: Config;
  outbox: Outbox;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  version: string;
  /** Current energy mode, for the status message. */
  mode?: () => string;
}

export class MqttUplink {
  readonly name = "uplink.mqtt";
  private client: MqttClient | null = null;
  private readonly inflight = new Set<number>();
  private readonly backoff: Backoff;
  private reconnectTimer: number | null = null;
  private drainTimer: number | null = null;
  private stopping = false;
  private readonly subscriptions = new Map<string, CommandHandler>();
  readonly status: UplinkStatus;
  readonly base: string;
  /** Publishes are held back while false (the energy scheduler batches by toggling this). */
  drainEnabled = true;

  constructor(private readonly d: MqttUplinkDeps) {
    const m = d.config.uplink.mqtt;
    this.base = baseTopic(d.config.gateway.prefix, d.config.gateway.id);
    this.backoff = new Backoff(m.reconnectMinMs, m.reconnectMaxMs);
    this.status = { state: "buffering", url: m.url, detail: "not connected yet; data waits in the buffer", connectedSince: null, lastError: null, inflight: 0, sentMessages: 0, ackedMessages: 0, reconnects: 0 };
  }

  start(): void { this.stopping = false; this.connect(); }

  private options(): IClientOptions {
    const { config, version } = this.d;
    const m = config.uplink.mqtt;
    const will = { topic: `${this.base}/${topics.status}`, payload: Buffer.from(JSON.stringify({ online: false, version, mode: "unknown", ts: this.d.clock.now() })), qos: 1 as const, retain: true };
    const opts: IClientOptions = {
      clientId: config.gateway.id,
      clean: false,                       // persistent session: commands queued while away arrive
      protocolVersion: m.protocolVersion,
      // MQTT 5 ends a session when its expiry passes (0 = at disconnect); 3.1.1 keeps it until the broker's own limit.
      ...(m.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 7 * 24 * 3600 } } : {}),
      keepalive: m.keepalive,
      reconnectPeriod: 0,                 // we reconnect ourselves, with backoff and jitter
      connectTimeout: 10_000,
      will,
      queueQoSZero: false,
      resubscribe: true,
    };
    if (m.username) opts.username = m.username;
    if (m.password) opts.password = m.password;
    if (m.ca) opts.ca = readFileSync(m.ca);
    if (m.cert) opts.cert = readFileSync(m.cert);
    if (m.key) opts.key = readFileSync(m.key);
    if (m.insecure) opts.rejectUnauthorized = false;
    return opts;
  }

  private setState(state: UplinkState, detail: string): void {
    if (this.status.state === state && this.status.detail === detail) return;
    this.status.state = state;
    this.status.detail = detail;
    this.d.bus.emit("uplink.state", { state, detail });
  }

  private connect(): void {
    if (this.stopping) return;
    let opts: IClientOptions;
    try { opts = this.options(); }
    catch (e) { this.fail(`cannot read TLS files: ${(e as Error).message}`); return; }
    this.setState("connecting", `connecting to ${this.d.config.uplink.mqtt.url}`);
    const client = mqtt.connect(this.d.config.uplink.mqtt.url, opts);
    this.client = client;
    client.on("connect", (ack) => {
      this.backoff.reset();
      this.inflight.clear();
      this.status.lastError = null;
      this.status.connectedSince = this.d.clock.now();
      this.setState("connected", "connected");
      this.d.log.info("connected", { url: this.d.config.uplink.mqtt.url, sessionPresent: ack.sessionPresent });
      this.publishStatus(true);
      for (const t of this.subscriptions.keys()) client.subscribe(`${this.base}/${t}`, { qos: 1 });
      this.d.bus.emit("uplink.connected", { url: this.d.config.uplink.mqtt.url });
      this.drain();
    });
    client.on("message", (topic, payload, packet) => {
      const rel = topic.startsWith(this.base + "/") ? topic.slice(this.base.length + 1) : topic;
      for (const [pattern, handler] of this.subscriptions) {
        if (matches(pattern, rel)) {
          try { handler(rel, payload, packet as any); }
          catch (e) { this.d.log.error("command handler failed", { topic: rel, error: String(e) }); }
        }
      }
    });
    client.on("error", (err: any) => {
      // Refused credentials are not a network blip: say so plainly; data stays buffered.
      const code = err?.code;
      const msg = err?.message ?? String(err);
      const repeated = this.status.lastError === msg;
      this.status.lastError = msg;
      if (code === 4 || code === 5 || code === 134 || code === 135 || /not authori[sz]ed|bad user ?name or password/i.test(msg)) {
        this.setState("refused", `broker refused the credentials (${msg}); data waits in the buffer`);
      }
      // Once per distinct error, not once per retry: a box offline for a week must not fill the journal.
      if (!repeated) this.d.log.warn("mqtt error", { error: msg, code });
      else this.d.log.debug("mqtt error", { error: msg, code });
    });
    client.on("close", () => {
      if (this.client !== client) return;
      const wasConnected = this.status.state === "connected";
      this.inflight.clear();
      this.status.inflight = 0;
      this.status.connectedSince = null;
      if (wasConnected) this.d.bus.emit("uplink.disconnected", { reason: this.status.lastError ?? "connection closed" });
      if (this.status.state !== "refused") this.setState("buffering", `disconnected${this.status.lastError ? `: ${this.status.lastError}` : ""}; data waits in the buffer`);
      client.removeAllListeners();
      client.on("error", () => {});
      client.end(true);
      this.client = null;
      this.scheduleReconnect();
    });
  }

  private fail(reason: string): void {
    this.status.lastError = reason;
    this.setState("buffering", `${reason}; data waits in the buffer`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopping || this.reconnectTimer !== null) return;
    const delay = this.backoff.next();
    this.status.reconnects++;
    this.reconnectTimer = this.d.clock.setTimeout(() => { this.reconnectTimer = null; this.connect(); }, delay);
  }

  publishStatus(online: boolean): void {
    const payload = JSON.stringify({ online, version: this.d.version, mode: this.d.mode?.() ?? "full", ts: this.d.clock.now() });
    this.client?.publish(`${this.base}/${topics.status}`, payload, { qos: 1, retain: true });
  }

  /** Publishes outside the outbox (command replies, reported config). Fire and forget. */
  publish(rel: string, payload: string | Buffer, opts: IClientPublishOptions = { qos: 1 }): boolean {
    return this.publishTo(`${this.base}/${rel}`, payload, opts);
  }

  /** Publishes to a full topic (an MQTT 5 response-topic chosen by the requester). */
  publishTo(topic: string, payload: string | Buffer, opts: IClientPublishOptions = { qos: 1 }): boolean {
    if (!this.client || this.status.state !== "connected") return false;
    this.client.publish(topic, payload, opts);
    return true;
  }

  /** Subscribes a relative topic pattern (`cmd/+`) for remote management. */
  subscribe(pattern: string, handler: CommandHandler): void {
    this.subscriptions.set(pattern, handler);
    if (this.client && this.status.state === "connected") this.client.subscribe(`${this.base}/${pattern}`, { qos: 1 });
  }

  /** Sends what the outbox holds, keeping at most maxInflight messages unacknowledged. */
  drain(): void {
    const client = this.client;
    if (!client || this.status.state !== "connected" || !this.drainEnabled) return;
    const m = this.d.config.uplink.mqtt;
    let batch;
    try { batch = this.d.outbox.take(m.maxInflight - this.inflight.size, m.batchPoints, this.inflight); }
    catch (e) { this.d.log.error("outbox read failed", { error: String(e) }); this.retryDrainSoon(); return; }
    for (const msg of batch) {
      this.inflight.add(msg.seq);
      this.status.sentMessages++;
      client.publish(`${this.base}/${msg.topic}`, msg.payload, { qos: 1 }, (err) => {
        if (this.client !== client) return;          // connection replaced; the resend will be acked
        this.inflight.delete(msg.seq);
        if (err) { this.d.log.warn("publish failed", { seq: msg.seq, error: err.message }); return; }
        try { this.d.outbox.ack(msg.seq); this.status.ackedMessages++; }
        catch (e) { this.d.log.error("outbox ack failed", { seq: msg.seq, error: String(e) }); }
        this.status.inflight = this.inflight.size;
        this.drain();
      });
    }
    this.status.inflight = this.inflight.size;
  }

  private retryDrainSoon(): void {
    if (this.drainTimer !== null) return;
    this.drainTimer = this.d.clock.setTimeout(() => { this.drainTimer = null; this.drain(); }, 1000);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.reconnectTimer !== null) this.d.clock.clearTimeout(this.reconnectTimer);
    if (this.drainTimer !== null) this.d.clock.clearTimeout(this.drainTimer);
    const client = this.client;
    this.client = null;
    this.setState("stopped", "stopped");
    if (!client) return;
    if (!client.connected) { client.end(true); return; }
    // A clean goodbye: retained status offline (acknowledged, or given up after 2 s), then close.
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      client.publish(`${this.base}/${topics.status}`, JSON.stringify({ online: false, version: this.d.version, mode: this.d.mode?.() ?? "full", ts: this.d.clock.now() }), { qos: 1, retain: true }, () => { clearTimeout(t); resolve(); });
    });
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { client.end(true); resolve(); }, 2000);
      client.end(false, {}, () => { clearTimeout(t); resolve(); });
    });
  }
}

/** MQTT topic filter match (`+` one level, `#` the rest). */
export function matches(filter: string, topic: string): boolean {
  const f = filter.split("/"), t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length || (f[i] !== "+" && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}
