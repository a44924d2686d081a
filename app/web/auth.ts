// Local login: one admin password, stored as a slow hash (Bun.password, argon2id). First boot has
// none: `POST /api/setup` sets it once. Sessions are random tokens in an HttpOnly, SameSite=Strict
// cookie. Failed logins are slowed down per client address (doubling delay, capped), which makes
// guessing over the LAN impractical without locking the engineer out for long.
import type { KV } from "../store/kv.ts";

export const COOKIE = "gw_session";

export class Auth {
  private readonly sessions = new Map<string, number>();   // token → expiry (ms)
  private readonly failures = new Map<string, { count: number; until: number }>();

  constructor(private readonly d: { kv: KV; provisionedHash: () => string; ttlSec: () => number; now: () => number }) {}

  private hash(): string { return this.d.provisionedHash() || this.d.kv.get("web.passwordHash") || ""; }
  hasPassword(): boolean { return this.hash() !== ""; }

  async setup(password: string): Promise<"ok" | "already-set" | "weak"> {
    if (this.hasPassword()) return "already-set";
    if (typeof password !== "string" || password.length < 8) return "weak";
    this.d.kv.set("web.passwordHash", await Bun.password.hash(password, { algorithm: "argon2id" }));
    return "ok";
  }

  /** Milliseconds this client must still wait before trying again (0 = may try). */
  retryAfter(client: string): number {
    const f = this.failures.get(client);
    return f ? Math.max(0, f.until - this.d.now()) : 0;
  }

  async login(client: string, password: unknown): Promise<{ ok: true; token: string } | { ok: false; retryAfterMs: number; reason: string }> {
    const wait = this.retryAfter(client);
    if (wait > 0) return { ok: false, retryAfterMs: wait, reason: "too many failed attempts; wait" };
    const hash = this.hash();
    if (!hash) return { ok: false, retryAfterMs: 0, reason: "no password set yet: use /api/setup" };
    const good = typeof password === "string" && password !== "" && (await Bun.password.verify(password, hash).catch(() => false));
    if (!good) {
      const f = this.failures.get(client) ?? { count: 0, until: 0 };
      f.count++;
      // The first two mistakes are free; then 1 s, 2 s, 4 s … up to 5 minutes.
      f.until = f.count > 2 ? this.d.now() + Math.min(300_000, 1000 * 2 ** (f.count - 3)) : 0;
      this.failures.set(client, f);
      return { ok: false, retryAfterMs: Math.max(0, f.until - this.d.now()), reason: "wrong password" };
    }
    this.failures.delete(client);
    const token = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    this.sessions.set(token, this.d.now() + this.d.ttlSec() * 1000);
    return { ok: true, token };
  }

  logout(token: string | undefined): void { if (token) this.sessions.delete(token); }

  valid(token: string | undefined): boolean {
    if (!token) return false;
    const exp = this.sessions.get(token);
    if (exp === undefined) return false;
    if (exp < this.d.now()) { this.sessions.delete(token); return false; }
    return true;
  }

  cookie(token: string): string { return `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${this.d.ttlSec()}`; }
  clearCookie(): string { return `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`; }
}

export function tokenOf(req: Request): string | undefined {
  const header = req.headers.get("cookie") ?? "";
  for (const part of header.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === COOKIE) return v.join("=");
  }
  return undefined;
}
