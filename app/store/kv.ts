// Small persistent values (counters, the admin password hash set on first boot, flags).
import type { Database } from "bun:sqlite";

export class KV {
  private readonly getQ; private readonly setQ;
  constructor(private readonly db: Database) {
    this.getQ = db.query<{ v: string }, [string]>("SELECT v FROM kv WHERE k = ?");
    this.setQ = db.query("INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v");
  }
  get(k: string): string | undefined { return this.getQ.get(k)?.v; }
  set(k: string, v: string): void { this.setQ.run(k, v); }
  getNumber(k: string, def = 0): number { const v = this.get(k); return v === undefined ? def : Number(v); }
}
