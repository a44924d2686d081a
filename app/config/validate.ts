// Validation: defaults first (so an empty file runs), then every error as `path: reason`.
import { Value } from "@sinclair/typebox/value";
import { ConfigSchema, type Config } from "./schema.ts";
import { moduleChecks } from "./module-checks.ts";

export interface ConfigError { path: string; reason: string }
export type Validated = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };

/** "/sip/gb28181/password" → "sip.gb28181.password"; array indexes stay as numbers. */
function dotted(pointer: string): string {
  return pointer.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~")).join(".") || "(root)";
}

function reasonOf(message: string, schema: any, value: unknown): string {
  if (message === "Unexpected property") return "unknown key";
  if (schema?.pattern && typeof value === "string") return `invalid value ${JSON.stringify(value)}${schema.description ? ` (${schema.description})` : ""}`;
  if (schema?.anyOf && schema.anyOf.every((s: any) => "const" in s)) return `must be one of ${schema.anyOf.map((s: any) => JSON.stringify(s.const)).join(", ")}`;
  return message.charAt(0).toLowerCase() + message.slice(1);
}

export function validateConfig(input: unknown): Validated {
  if (input === null || input === undefined) input = {};
  if (typeof input !== "object" || Array.isArray(input)) return { ok: false, errors: [{ path: "(root)", reason: "must be a mapping of sections" }] };
  const withDefaults = Value.Default(ConfigSchema, structuredClone(input));
  const errors: ConfigError[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(ConfigSchema, withDefaults)) {
    const path = dotted(e.path);
    // A union reports once per branch; one line per path is what a person needs.
    if (seen.has(path)) continue;
    seen.add(path);
    errors.push({ path, reason: reasonOf(e.message, e.schema, e.value) });
  }
  if (!errors.length) errors.push(...crossChecks(withDefaults as Config));
  return errors.length ? { ok: false, errors } : { ok: true, config: withDefaults as Config };
}

/** Rules that involve more than one key, which a JSON Schema cannot say clearly. */
function crossChecks(c: Config): ConfigError[] {
  const errors: ConfigError[] = [];
  const m = c.uplink.mqtt;
  if (m.password && !m.username) errors.push({ path: "uplink.mqtt.username", reason: "required when a password is set (brokers refuse a password alone)" });
  if ((m.cert && !m.key) || (m.key && !m.cert)) errors.push({ path: m.cert ? "uplink.mqtt.key" : "uplink.mqtt.cert", reason: "client certificate and key go together" });
  if (m.reconnectMinMs > m.reconnectMaxMs) errors.push({ path: "uplink.mqtt.reconnectMinMs", reason: `must not exceed reconnectMaxMs (${m.reconnectMaxMs})` });
  for (const check of moduleChecks) errors.push(...check(c));
  return errors;
}

export function formatErrors(errors: ConfigError[]): string {
  return errors.map((e) => `${e.path}: ${e.reason}`).join("\n");
}
