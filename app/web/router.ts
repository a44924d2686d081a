// A small method + path router over web-standard Request/Response. Modules contribute their routes
// (`{ method, path, handler }`, path segments like `:id` become params); the server adds auth.

export interface RouteContext { req: Request; params: Record<string, string>; url: URL }
export type Handler = (ctx: RouteContext) => Response | Promise<Response>;
export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  handler: Handler;
  /** Answer without a session (health, setup, login). */
  public?: boolean;
}

interface Compiled { route: Route; re: RegExp; keys: string[] }

export class Router {
  private readonly compiled: Compiled[] = [];
  add(...routes: Route[]): void {
    for (const route of routes) {
      const keys: string[] = [];
      const re = new RegExp("^" + route.path.replace(/:([A-Za-z_]+)/g, (_, k) => { keys.push(k); return "([^/]+)"; }) + "$");
      this.compiled.push({ route, re, keys });
    }
  }
  /** The route for this request, or why there is none (404 or 405). */
  match(method: string, pathname: string): { route: Route; params: Record<string, string> } | 404 | 405 {
    let pathMatched = false;
    for (const c of this.compiled) {
      const m = c.re.exec(pathname);
      if (!m) continue;
      pathMatched = true;
      if (c.route.method !== method && !(method === "HEAD" && c.route.method === "GET")) continue;
      const params: Record<string, string> = {};
      c.keys.forEach((k, i) => { params[k] = decodeURIComponent(m[i + 1]); });
      return { route: c.route, params };
    }
    return pathMatched ? 405 : 404;
  }
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** Errors are JSON `{error, details?}` (SPEC section 4). */
export function problem(status: number, error: string, details?: unknown): Response {
  return json(details === undefined ? { error } : { error, details }, status);
}

/** Reads a JSON body; a malformed one is a 400, never an exception. */
export async function readJson(req: Request): Promise<{ ok: true; body: any } | { ok: false; res: Response }> {
  try { return { ok: true, body: await req.json() }; }
  catch { return { ok: false, res: problem(400, "body must be JSON") }; }
}
