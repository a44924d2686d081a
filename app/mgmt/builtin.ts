// The base commands: ping, get-config, set-config, logs, reboot. Others (echo, bridge-write, update)
// are registered by their modules.
import { redact, unmask } from "../config/redact.ts";
import type { ConfigStore } from "../config/store.ts";
import type { LogHub } from "../core/logger.ts";
import { CommandError, type CommandRouter } from "./commands.ts";

export interface BuiltinDeps {
  router: CommandRouter;
  config: ConfigStore;
  logs: LogHub;
  version: string;
  now: () => number;
  startedAt: number;
  /** Restarts the gateway process (systemd brings it back). */
  restart: (reason: string) => void;
}

export function registerBuiltinCommands(d: BuiltinDeps): void {
  d.router.register("ping", () => ({ pong: true, version: d.version, uptimeSec: Math.round((d.now() - d.startedAt) / 1000), ts: d.now() }));
  d.router.register("get-config", () => ({ config: redact(d.config.current) }));
  d.router.register("set-config", (req) => {
    if (typeof req.config !== "object" || req.config === null) throw new CommandError("set-config needs {config: {...}}");
    const r = d.config.replace(unmask(req.config, d.config.current));
    if (!r.ok) throw new CommandError("invalid configuration", r.errors);
    return { changed: r.changed, restartRequired: r.restartRequired };
  });
  d.router.register("logs", (req) => {
    const limit = Math.min(500, Math.max(1, Number(req.limit ?? 100)));
    const level = typeof req.level === "string" ? req.level : undefined;
    const rank: Record<string, number> = { debug: 10, info: 20, warn: 30, error: 40 };
    const recs = d.logs.recent.filter((r) => !level || rank[r.level] >= (rank[level] ?? 0));
    if (typeof req.setLevel === "string") {
      if (!(req.setLevel in rank)) throw new CommandError(`setLevel must be one of ${Object.keys(rank).join(", ")}`);
      d.logs.setLevel(req.setLevel as any, typeof req.module === "string" ? req.module : undefined);
    }
    return { records: recs.slice(-limit) };
  });
  d.router.register("reboot", (req) => {
    // Reply first; the process exits shortly after and systemd (Restart=always) starts it again.
    setTimeout(() => d.restart(typeof req.reason === "string" ? req.reason : "remote reboot command"), 500);
    return { rebooting: true };
  });
}
