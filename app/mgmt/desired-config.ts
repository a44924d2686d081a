// Desired/reported configuration (SPEC section 6): the cloud sets `config/desired` (retained); the
// gateway applies a valid document and reports it on `config/reported` (retained), or reports the
// validation errors and keeps running on what it had. Secrets are never echoed back.
import { redact, unmask } from "../config/redact.ts";
import type { ConfigStore } from "../config/store.ts";
import type { Logger } from "../core/logger.ts";
import type { MqttUplink } from "../uplink/mqtt.ts";
import { topics } from "../uplink/topics.ts";

export class DesiredConfig {
  private lastApplied = "";
  constructor(private readonly d: { uplink: MqttUplink; config: ConfigStore; log: Logger; now: () => number }) {
    d.uplink.subscribe(topics.desired, (_t, payload) => this.apply(payload));
  }

  apply(payload: Buffer): void {
    const text = payload.toString("utf8");
    if (text === "" || text === this.lastApplied) return;   // cleared retained message, or a redelivery
    this.lastApplied = text;
    let doc: unknown;
    try { doc = JSON.parse(text); }
    catch (e) { this.report({ ok: false, errors: [{ path: "(document)", reason: `not JSON: ${(e as Error).message}` }] }); return; }
    const r = this.d.config.replace(unmask(doc, this.d.config.current));
    if (!r.ok) {
      this.d.log.warn("desired config rejected", { errors: r.errors });
      this.report({ ok: false, errors: r.errors, config: redact(this.d.config.current) });
      return;
    }
    this.d.log.info("desired config applied", { changed: r.changed, restartRequired: r.restartRequired });
    this.report({ ok: true, changed: r.changed, restartRequired: r.restartRequired, config: redact(this.d.config.current) });
  }

  private report(body: Record<string, unknown>): void {
    this.d.uplink.publish(topics.reported, JSON.stringify({ ...body, ts: this.d.now() }), { qos: 1, retain: true });
  }
}
