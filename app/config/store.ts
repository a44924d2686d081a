// The running configuration: what was loaded, replaced as a whole by PUT /api/config or the cloud's
// desired config. A replacement is validated first and written atomically; listeners get the list of
// changed paths so each module applies what it can live (log level, health thresholds) and the rest
// is reported as needing a restart.
import type { EventBus } from "../core/bus.ts";
import { saveConfigFile } from "./file.ts";
import type { Config } from "./schema.ts";
import { validateConfig, type ConfigError } from "./validate.ts";

/** Keys applied without a restart; everything else is reported back as `restartRequired`. */
const LIVE_PREFIXES = ["log.", "health.", "store.maxBytes", "telemetry.", "web.sessionTtl", "bridge.modbus.", "sip.rateLimit."];

export function changedPaths(a: unknown, b: unknown, prefix = ""): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    return [...keys].flatMap((k) => changedPaths((a as any)[k], (b as any)[k], prefix ? `${prefix}.${k}` : k));
  }
  return [prefix || "(root)"];
}

export class ConfigStore {
  constructor(public current: Config, readonly path: string | null, private readonly bus: EventBus) {}

  replace(doc: unknown): { ok: true; changed: string[]; restartRequired: string[] } | { ok: false; errors: ConfigError[] } {
    const v = this.path ? saveConfigFile(this.path, doc) : validateConfig(doc);
    if (!v.ok) return v;
    const changed = changedPaths(this.current, v.config);
    this.current = v.config;
    if (changed.length) this.bus.emit("config.changed", { paths: changed });
    const restartRequired = changed.filter((p) => !LIVE_PREFIXES.some((l) => p === l || p.startsWith(l)));
    return { ok: true, changed, restartRequired };
  }
}
