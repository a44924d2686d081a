// Temporary bans after repeated wrong passwords (SPEC section 5 "Protection"), counted separately
// per device ID and per source IP, like fail2ban or Kamailio's htable-based bans: `maxFailures`
// wrong passwords within `windowSeconds` ban that key for `seconds`. Expired entries are forgotten
// lazily, so the table stays bounded by the keys that misbehaved recently.

export interface BanSettings { maxFailures: number; windowSeconds: number; seconds: number; bySource: boolean }
export interface Ban { key: string; kind: "device" | "source"; since: number; until: number; failures: number; lastReason: string }

export class Bans {
  private readonly failures = new Map<string, number[]>();
  private readonly bans = new Map<string, Ban>();
  constructor(private readonly settings: () => BanSettings, private readonly now: () => number) {}

  /** The ban covering this device ID or source IP, if any. */
  banned(deviceId: string, sourceIp: string): Ban | undefined {
    if (this.bans.size === 0) return undefined; // the usual case: no key strings built per REGISTER
    return this.active(`device:${deviceId}`) ?? (this.settings().bySource ? this.active(`source:${sourceIp}`) : undefined);
  }

  /** Records one wrong password; returns the bans this failure started (for events). */
  fail(deviceId: string, sourceIp: string, reason: string): Ban[] {
    const s = this.settings();
    if (s.maxFailures <= 0) return [];
    const started: Ban[] = [];
    const keys: ["device" | "source", string][] = [["device", deviceId]];
    if (s.bySource) keys.push(["source", sourceIp]);
    const now = this.now();
    for (const [kind, id] of keys) {
      const key = `${kind}:${id}`;
      const list = (this.failures.get(key) ?? []).filter((t) => now - t < s.windowSeconds * 1000);
      list.push(now);
      this.failures.set(key, list);
      if (list.length >= s.maxFailures && !this.active(key)) {
        const ban: Ban = { key: id, kind, since: now, until: now + s.seconds * 1000, failures: list.length, lastReason: reason };
        this.bans.set(key, ban);
        this.failures.delete(key);
        started.push(ban);
      }
    }
    this.prune(now, s);
    return started;
  }

  /** A successful authentication clears the device's failure count (not the source's). */
  succeeded(deviceId: string): void { if (this.failures.size) this.failures.delete(`device:${deviceId}`); }

  list(): Ban[] {
    const now = this.now();
    return [...this.bans.values()].filter((b) => b.until > now).sort((a, b) => a.since - b.since);
  }

  /** Lifts a ban by its key ("device:ID" or "source:IP" or just the ID/IP); true when one was lifted. */
  lift(key: string): boolean {
    let hit = false;
    for (const k of key.includes(":") && /^(device|source):/.test(key) ? [key] : [`device:${key}`, `source:${key}`]) {
      if (this.bans.delete(k)) hit = true;
      this.failures.delete(k);
    }
    return hit;
  }

  private active(key: string): Ban | undefined {
    const b = this.bans.get(key);
    if (!b) return undefined;
    if (b.until > this.now()) return b;
    this.bans.delete(key);
    return undefined;
  }

  private prune(now: number, s: BanSettings): void {
    if (this.failures.size < 1000) return;
    for (const [k, list] of this.failures) if (!list.some((t) => now - t < s.windowSeconds * 1000)) this.failures.delete(k);
  }
}
