// GET /api/energy: mode, reason, battery, solar, forecast, hourly history for the page's chart, and
// what the scheduler did (knobs, their last errors). On the simulated board, POST
// /api/energy/vibration {g} shakes the simulated box (to try a vibration wake by hand).
import { json, problem, readJson, type Route } from "../web/router.ts";
import type { EnergyHandle } from "./install.ts";

export function energyRoutes(h: EnergyHandle): Route[] {
  const routes: Route[] = [{
    method: "GET",
    path: "/api/energy",
    handler: ({ url }) => {
      if (!h.service) return problem(503, "energy service not running", { reason: h.startError ?? "not started yet" });
      const hours = Number(url.searchParams.get("hours") ?? 72);
      if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 365) return problem(400, "hours must be an integer from 1 to 8760");
      return json({
        ...h.service.snapshot(hours),
        heartbeat: { interval: h.heartbeat.interval, sent: h.heartbeat.seq },
        inputs: h.inputs,
        knobs: h.scheduler.names(),
        knobErrors: Object.fromEntries(h.scheduler.errors),
        board: h.board,
      });
    },
  }];
  if (h.simulated) routes.push({
    method: "POST",
    path: "/api/energy/vibration",
    handler: async ({ req }) => {
      const r = await readJson(req);
      if (!r.ok) return r.res;
      const g = r.body?.g;
      if (typeof g !== "number" || !Number.isFinite(g) || g < 0 || g > 200) return problem(400, "g must be a number from 0 to 200");
      if (!h.service) return problem(503, "energy service not running");
      h.service.vibration(g);
      return json({ mode: h.service.modeName(), reason: h.service.controller.reason });
    },
  });
  return routes;
}
