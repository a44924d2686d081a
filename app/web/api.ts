// The base API (SPEC section 4): health, setup/login/logout, status, config, buffer, uplink, metrics.
// Module APIs (SIP, bridge, energy) live beside their modules and are added by the composition root.
import { ConfigSchema } from "../config/schema.ts";
import { redact, unmask } from "../config/redact.ts";
import type { ConfigStore } from "../config/store.ts";
import type { Outbox } from "../store/outbox.ts";
import type { MqttUplink } from "../uplink/mqtt.ts";
import type { Auth } from "./auth.ts";
import type { Health } from "./health.ts";
import type { Metrics } from "./metrics.ts";
import { json, problem, readJson, type Route } from "./router.ts";
import { clientOf } from "./server.ts";
import { tokenOf } from "./auth.ts";

export interface BaseApiDeps {
  auth: Auth;
  health: Health;
  metrics: Metrics;
  config: ConfigStore;
  outbox: Outbox;
  uplink: MqttUplink;
  version: string;
  startedAt: number;
  now: () => number;
  /** Extra status sections contributed by modules (sip, bridge, energy). */
  status: () => Record<string, unknown>;
}

export function baseRoutes(d: BaseApiDeps): Route[] {
  return [
    {
      method: "GET", path: "/api/health", public: true,
      handler: async ({ req }) => {
        const h = await d.health.run();
        // Without a session: status and check names only (SPEC section 4).
        const full = d.auth.valid(tokenOf(req));
        const body = full ? h : { status: h.status, checks: h.checks.map((c) => ({ name: c.name, ok: c.ok })) };
        return json(body, h.status === "ok" ? 200 : 503);
      },
    },
    {
      method: "POST", path: "/api/setup", public: true,
      handler: async ({ req }) => {
        const b = await readJson(req);
        if (!b.ok) return b.res;
        const r = await d.auth.setup(b.body?.password);
        if (r === "already-set") return problem(409, "a password is already set; log in instead");
        if (r === "weak") return problem(400, "password must be a string of at least 8 characters", [{ path: "password", reason: "at least 8 characters" }]);
        const login = await d.auth.login(clientOf(req), b.body.password);
        return json({ ok: true }, 200, login.ok ? { "set-cookie": d.auth.cookie(login.token) } : {});
      },
    },
    {
      method: "POST", path: "/api/login", public: true,
      handler: async ({ req }) => {
        const b = await readJson(req);
        if (!b.ok) return b.res;
        const r = await d.auth.login(clientOf(req), b.body?.password);
        if (r.ok) return json({ ok: true }, 200, { "set-cookie": d.auth.cookie(r.token) });
        const wait: Record<string, string> = r.retryAfterMs > 0 ? { "retry-after": String(Math.ceil(r.retryAfterMs / 1000)) } : {};
        if (r.reason === "wrong password") return json({ error: r.reason, details: { retryAfterMs: r.retryAfterMs } }, 401, wait);
        if (r.retryAfterMs > 0) return json({ error: r.reason, details: { retryAfterMs: r.retryAfterMs } }, 429, wait);
        return problem(409, r.reason);
      },
    },
    {
      method: "GET", path: "/api/session", public: true,
      handler: ({ req }) => json({ loggedIn: d.auth.valid(tokenOf(req)), passwordSet: d.auth.hasPassword() }),
    },
    {
      method: "POST", path: "/api/logout",
      handler: ({ req }) => { d.auth.logout(tokenOf(req)); return json({ ok: true }, 200, { "set-cookie": d.auth.clearCookie() }); },
    },
    {
      method: "GET", path: "/api/status",
      handler: () => json({
        gateway: { id: d.config.current.gateway.id, version: d.version, uptimeSec: Math.round((d.now() - d.startedAt) / 1000) },
        uplink: d.uplink.status,
        buffer: d.outbox.stats(),
        ...d.status(),
      }),
    },
    { method: "GET", path: "/api/config", handler: () => json(redact(d.config.current)) },
    {
      method: "PUT", path: "/api/config",
      handler: async ({ req }) => {
        const b = await readJson(req);
        if (!b.ok) return b.res;
        const r = d.config.replace(unmask(b.body, d.config.current));
        if (!r.ok) return problem(400, "invalid configuration", r.errors);
        return json({ ok: true, changed: r.changed, restartRequired: r.restartRequired, config: redact(d.config.current) });
      },
    },
    { method: "GET", path: "/api/config/schema", handler: () => json(ConfigSchema) },
    { method: "GET", path: "/api/buffer", handler: () => json(d.outbox.stats()) },
    { method: "GET", path: "/api/uplink", handler: () => json({ mqtt: d.uplink.status }) },
    {
      method: "GET", path: "/metrics",
      handler: () => new Response(d.metrics.render(), { headers: { "content-type": "text/plain; version=0.0.4" } }),
    },
  ];
}
