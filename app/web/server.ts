// Bun.serve adapter: auth in front of the router, JSON errors, nothing else. Routes come from the
// modules (web/api.ts for the base, sip/api.ts, bridge/api.ts, …) through the composition root.
import type { Logger } from "../core/logger.ts";
import { Auth, tokenOf } from "./auth.ts";
import { problem, Router, type Route } from "./router.ts";

export interface WebServerDeps {
  listen: string;
  auth: Auth;
  log: Logger;
  /** Serves the page and its assets for non-API paths; 404 when absent. */
  page?: (req: Request, url: URL) => Response | Promise<Response> | null;
}

export function splitHostPort(listen: string): { hostname: string; port: number } {
  const i = listen.lastIndexOf(":");
  const host = listen.slice(0, i).replace(/^\[|\]$/g, "");
  return { hostname: host || "0.0.0.0", port: Number(listen.slice(i + 1)) };
}

export class WebServer {
  readonly name = "web";
  readonly router = new Router();
  private server: ReturnType<typeof Bun.serve> | null = null;
  constructor(private readonly d: WebServerDeps) {}

  add(...routes: Route[]): void { this.router.add(...routes); }

  get port(): number { return this.server?.port ?? 0; }

  start(): void {
    const { hostname, port } = splitHostPort(this.d.listen);
    this.server = Bun.serve({
      hostname, port,
      fetch: (req, server) => this.handle(req, server.requestIP(req)?.address ?? "unknown"),
      error: (e) => { this.d.log.error("request failed", { error: String(e) }); return problem(500, "internal error"); },
    });
    this.d.log.info("listening", { url: `http://${hostname === "0.0.0.0" ? "127.0.0.1" : hostname}:${this.server.port}/` });
  }

  async handle(req: Request, client: string): Promise<Response> {
    const url = new URL(req.url);
    const isApi = url.pathname.startsWith("/api/") || url.pathname === "/metrics";
    if (!isApi) {
      const res = this.d.page ? await this.d.page(req, url) : null;
      return res ?? problem(404, "not found");
    }
    const m = this.router.match(req.method, url.pathname);
    if (m === 404) return problem(404, "not found");
    if (m === 405) return problem(405, "method not allowed");
    if (!m.route.public && !this.d.auth.valid(tokenOf(req))) return problem(401, "login required");
    try {
      return await m.route.handler({ req: Object.assign(req, { clientAddress: client }), params: m.params, url });
    } catch (e) {
      this.d.log.error("handler failed", { path: url.pathname, error: String(e) });
      return problem(500, "internal error", String(e));
    }
  }

  stop(): void { this.server?.stop(true); this.server = null; }
}

export function clientOf(req: Request): string { return (req as any).clientAddress ?? "unknown"; }
