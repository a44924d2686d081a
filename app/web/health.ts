// Health: a named list of checks, each with its value and threshold, read from config at every
// call so thresholds changed at run time apply at once. Modules register their own checks (SIP,
// bridge); this file holds the ones of the base: CPU, memory, disk, uplink, buffer, database.
export interface CheckResult { name: string; ok: boolean; value: unknown; threshold: unknown }
export type Check = () => Promise<CheckResult> | CheckResult;

export class Health {
  private readonly checks: Check[] = [];
  add(check: Check): void { this.checks.push(check); }
  async run(): Promise<{ status: "ok" | "fail"; checks: CheckResult[] }> {
    const checks = await Promise.all(this.checks.map(async (c) => {
      try { return await c(); }
      catch (e) { return { name: "check", ok: false, value: String(e), threshold: null }; }
    }));
    return { status: checks.every((c) => c.ok) ? "ok" : "fail", checks };
  }
}
