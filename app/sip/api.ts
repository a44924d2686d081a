// HTTP API of the GB/T 28181 registrar (SPEC section 4): devices with their honest state, one device
// with channels, DeviceInfo and recent transitions, and the ban list.
import type { Route } from "../web/router.ts";
import { json, problem } from "../web/router.ts";
import type { GbService } from "./gb28181/service.ts";
import type { DeviceRow } from "./gb28181/store.ts";

function iso(ms: number): string | null { return ms > 0 ? new Date(ms).toISOString() : null; }

function parseJson(s: string): unknown { try { return JSON.parse(s); } catch { return {}; } }

export function deviceView(gb: GbService, row: DeviceRow, now: number) {
  const live = gb.liveness.get(row.id);
  const registered = (live?.registeredUntil ?? row.expires_at) > now;
  const expiresAt = live?.registeredUntil ?? row.expires_at;
  const lastHeard = live?.lastHeard || row.last_heard;
  const deadline = gb.liveness.deadline(row.id);
  return {
    id: row.id,
    name: gb.deviceName(row.id),
    state: live?.state ?? "offline",
    reason: live?.reason ?? (row.reason || "gateway-restart"),
    since: iso(live?.since ?? row.state_since),
    registered,
    expiresAt: iso(expiresAt),
    expiresIn: registered ? Math.ceil((expiresAt - now) / 1000) : 0,
    lastHeard: iso(lastHeard),
    heardAgo: lastHeard ? Math.floor((now - lastHeard) / 1000) : null,
    offlineAt: iso(deadline ?? 0),
    address: row.address,
    transport: row.transport,
    contact: row.contact,
    keepaliveAddress: row.keepalive_address || null,
    userAgent: row.user_agent,
  };
}

export function sipDeviceRoutes(gb: GbService, now: () => number): Route[] {
  return [
    {
      method: "GET", path: "/api/sip/devices",
      handler: ({ url }) => {
        const state = url.searchParams.get("state");
        const t = now();
        let list = gb.store.all().map((r) => deviceView(gb, r, t));
        if (state) list = list.filter((d) => d.state === state);
        return json({ count: list.length, online: gb.liveness.onlineCount, devices: list });
      },
    },
    {
      method: "GET", path: "/api/sip/devices/:id",
      handler: ({ params }) => {
        const row = gb.store.get(params.id);
        if (!row) return problem(404, "no such device", { id: params.id });
        return json({
          ...deviceView(gb, row, now()),
          deviceInfo: parseJson(row.device_info),
          catalog: { at: iso(row.catalog_at), complete: row.catalog_complete === 1 },
          channels: gb.store.channels(row.id).map((c) => ({ id: c.channel_id, name: c.name, status: c.status, updated: iso(c.updated), info: parseJson(c.info) })),
          transitions: gb.store.recent(row.id, 50).map((x) => ({ ts: iso(x.ts), state: x.state, reason: x.reason })),
        });
      },
    },
    {
      method: "GET", path: "/api/sip/bans",
      handler: () => json({ bans: gb.bans.list().map((b) => ({ key: b.key, kind: b.kind, since: iso(b.since), until: iso(b.until), failures: b.failures, reason: b.lastReason })) }),
    },
    {
      method: "DELETE", path: "/api/sip/bans/:key",
      handler: ({ params }) => (gb.bans.lift(params.key) ? json({ lifted: params.key }) : problem(404, "no such ban", { key: params.key })),
    },
  ];
}
