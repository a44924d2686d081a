// HTTP API of the bridge (SPEC section 4): devices with their health, tags with their last values,
// and writes. Errors are `{error, details?}` with a 4xx/5xx status like every other route.
import { json, problem, readJson, type Route } from "../web/router.ts";
import type { Bridge } from "./bridge.ts";

export function bridgeRoutes(current: () => Bridge | null): Route[] {
  return [
    {
      method: "GET", path: "/api/bridge/devices",
      handler: () => json({ devices: current()?.devices() ?? [], pollScale: current()?.pollScale ?? 1, errors: current()?.errors ?? [] }),
    },
    {
      method: "GET", path: "/api/bridge/tags",
      handler: ({ url }) => {
        const device = url.searchParams.get("device") ?? undefined;
        const b = current();
        if (device && b && !b.pollers.has(device)) return problem(404, `no device ${JSON.stringify(device)}`);
        return json({ tags: b?.tags(device) ?? [] });
      },
    },
    {
      method: "POST", path: "/api/bridge/write",
      handler: async ({ req }) => {
        const body = await readJson(req);
        if (!body.ok) return body.res;
        const b = current();
        if (!b) return problem(503, "bridge is not running");
        const reply = await b.write(body.body);
        if (reply.ok) return json(reply);
        const { status, error, ok: _ok, ...details } = reply;
        return problem(status, error, Object.keys(details).length ? details : undefined);
      },
    },
  ];
}
