// Plugs the Modbus bridge into the gateway (see app/modules.ts): the service, its routes, status,
// metrics, outward events, the cmd/bridge-write MQTT command (registered with the command router),
// and the simulated slave of `make run`.
//
// For other modules (no singletons: everything is keyed by the gateway instance):
//   setBridgePollScale(gw, factor)  energy: every poll period × factor (1 = as configured)
//   bridgeWrite(gw, req)            {id, device, tag, value} → reply object (what cmd/bridge-write answers)
import type { Service } from "../core/lifecycle.ts";
import type { Gateway } from "../gateway.ts";
import { SimModbusSlave } from "../../hw/sim/modbus-slave.ts";
import { bridgeRoutes } from "./api.ts";
import { Bridge } from "./bridge.ts";
import type { WriteReply } from "./modbus/writes.ts";

declare module "../core/bus.ts" {
  interface EventMap {
    "bridge.device.down": { device: string; reason: string; failures: number };
    "bridge.device.up": { device: string; downMs: number };
  }
}

class BridgeHost implements Service {
  readonly name = "bridge";
  bridge: Bridge | null = null;
  sim: SimModbusSlave | null = null;
  private scale = 1;
  constructor(private readonly gw: Gateway) {}

  private build(): Bridge {
    const gw = this.gw;
    const log = gw.logs.for("bridge");
    const b = new Bridge(gw.config.current.bridge, {
      clock: gw.clock, log,
      addPoints: (device, points, prio) => gw.outbox.addPoints(device, points, prio),
      onDown: (e) => gw.bus.emit("bridge.device.down", e),
      onUp: (e) => gw.bus.emit("bridge.device.up", e),
    });
    b.setPollScale(this.scale);
    return b;
  }

  start(): void {
    const sim = this.gw.config.current.bridge.simSlave;
    if (sim) {
      const i = sim.lastIndexOf(":");
      this.sim = new SimModbusSlave("meter");
      try { this.sim.listen(sim.slice(0, i) || "127.0.0.1", Number(sim.slice(i + 1))); }
      catch (e) { this.gw.logs.for("bridge").error("simulated Modbus slave could not listen", { listen: sim, error: String(e) }); this.sim = null; }
    }
    this.bridge = this.build();
    this.bridge.start();
  }

  /** Applies a changed bridge config: pollers and lines are rebuilt; tag values start over. */
  reload(): void {
    if (!this.bridge) return;
    this.bridge.stop();
    this.bridge = this.build();
    this.bridge.start();
  }

  setPollScale(factor: number): void {
    if (!Number.isFinite(factor) || factor <= 0) throw new Error("poll scale must be a positive number");
    this.bridge?.setPollScale(factor);
    this.scale = this.bridge?.pollScale ?? factor;
  }

  stop(): void {
    this.bridge?.stop();
    this.bridge = null;
    this.sim?.stop();
    this.sim = null;
  }
}

const hosts = new WeakMap<Gateway, BridgeHost>();

export function installBridge(gw: Gateway): void {
  const host = new BridgeHost(gw);
  hosts.set(gw, host);
  gw.recorder.publish("bridge.device.down", "critical");
  gw.recorder.publish("bridge.device.up", "critical");
  gw.lifecycle.add(host);
  gw.web.add(...bridgeRoutes(() => host.bridge));
  gw.statusSections.set("bridge", () => {
    const b = host.bridge;
    if (!b) return { running: false };
    const states: Record<string, number> = {};
    for (const p of b.pollers.values()) states[p.state] = (states[p.state] ?? 0) + 1;
    return { running: true, devices: b.pollers.size, states, configErrors: b.errors.length, pollScale: b.pollScale };
  });
  gw.metrics.add(() => {
    const b = host.bridge;
    if (!b) return [];
    return [...b.pollers.values()].flatMap((p) => {
      const labels = { device: p.device.name };
      return [
        { name: "bridge_device_up", help: "1 unless the Modbus device is down", type: "gauge" as const, value: p.state === "down" ? 0 : 1, labels },
        { name: "bridge_poll_cycles_total", help: "Poll cycles run", type: "counter" as const, value: p.stats.cycles, labels },
        { name: "bridge_requests_total", help: "Modbus read requests sent by the poller", type: "counter" as const, value: p.stats.requests, labels },
        { name: "bridge_points_total", help: "Points written to the outbox", type: "counter" as const, value: p.stats.points, labels },
      ];
    });
  });
  gw.bus.on("config.changed", ({ paths }) => {
    if (paths.some((p) => p === "bridge" || p.startsWith("bridge.modbus"))) host.reload();
  });
  // MQTT cmd/bridge-write {id, device, tag, value} → cmd/bridge-write/reply, through the command router.
  gw.commands.register("bridge-write", async (req) => ({ ...(await bridgeWrite(gw, req)) }));
}

/** Writes one tag: `{id?, device, tag, value}` → the reply (never throws). */
export async function bridgeWrite(gw: Gateway, req: unknown): Promise<WriteReply> {
  const b = hosts.get(gw)?.bridge;
  const id = req && typeof req === "object" ? (req as any).id : undefined;
  if (!b) return { ...(id !== undefined ? { id } : {}), ok: false, status: 503, error: "bridge is not running" };
  try { return await b.write(req as any); }
  catch (e) { return { ...(id !== undefined ? { id } : {}), ok: false, status: 500, error: String(e) }; }
}

/** Energy knob: every poll period × factor (1 = as configured, 4 = a quarter as often). */
export function setBridgePollScale(gw: Gateway, factor: number): void {
  hosts.get(gw)?.setPollScale(factor);
}
