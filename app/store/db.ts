// Opening the gateway database: WAL mode, migrations, and the two failures a field box meets
// (a corrupt file after a power cut, a full disk). A corrupt file is set aside, never deleted, and a
// fresh one is started so the gateway keeps running; both cases raise a clear error and an event.
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { allMigrations } from "./all-migrations.ts";
import type { Migration } from "./migrations.ts";

export interface OpenResult {
  db: Database;
  path: string;
  /** Set when the previous file was unreadable and was moved aside. */
  recoveredFrom?: { movedTo: string; reason: string };
  /** Migrations recorded in the file that this release does not know (after a rollback). */
  unknownMigrations: string[];
}

export class StoreError extends Error {
  constructor(readonly reason: "corrupt" | "full" | "readonly" | "io", message: string) { super(message); }
}

/** Maps SQLite failures to the reasons the rest of the gateway acts on. */
export function classify(e: unknown): StoreError {
  const msg = e instanceof Error ? e.message : String(e);
  const code = (e as any)?.code ?? "";
  if (code === "SQLITE_FULL" || /disk is full|database or disk is full/i.test(msg)) return new StoreError("full", `disk full: ${msg}`);
  if (code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB" || /malformed|not a database/i.test(msg)) return new StoreError("corrupt", `database corrupt: ${msg}`);
  if (code === "SQLITE_READONLY" || /readonly/i.test(msg)) return new StoreError("readonly", `database read-only: ${msg}`);
  return new StoreError("io", msg);
}

function migrate(db: Database, list: Migration[]): string[] {
  db.exec("CREATE TABLE IF NOT EXISTS migrations (module TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL, PRIMARY KEY (module, version))");
  const done = new Set((db.query("SELECT module, version FROM migrations").all() as { module: string; version: number }[]).map((r) => `${r.module}/${r.version}`));
  const insert = db.query("INSERT INTO migrations (module, version, name, applied_at) VALUES (?, ?, ?, ?)");
  for (const m of list) {
    if (done.has(`${m.module}/${m.version}`)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      insert.run(m.module, m.version, m.name, Date.now());
    })();
  }
  const known = new Set(list.map((m) => `${m.module}/${m.version}`));
  return [...done].filter((k) => !known.has(k));
}

function openAt(path: string, list: Migration[]): { db: Database; unknown: string[] } {
  const db = new Database(path, { create: true });
  try {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");   // WAL + NORMAL: durable across power cuts except the last commit(s) before it
    db.exec("PRAGMA busy_timeout = 5000");
    const check = db.query("PRAGMA quick_check").get() as { quick_check: string };
    if (check.quick_check !== "ok") throw new StoreError("corrupt", `database corrupt: ${check.quick_check}`);
    return { db, unknown: migrate(db, list) };
  } catch (e) {
    db.close();
    throw e;
  }
}

export function openStore(dataDir: string, opts: { file?: string; migrations?: Migration[] } = {}): OpenResult {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, opts.file ?? "gateway.db");
  const list = opts.migrations ?? allMigrations;
  try {
    const { db, unknown } = openAt(path, list);
    return { db, path, unknownMigrations: unknown };
  } catch (e) {
    const err = classify(e);
    if (err.reason !== "corrupt" || !existsSync(path)) throw err;
    // Keep the damaged file (and its WAL) for recovery by hand; never delete a buffer.
    const movedTo = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    renameSync(path, movedTo);
    for (const ext of ["-wal", "-shm"]) if (existsSync(path + ext)) renameSync(path + ext, movedTo + ext);
    const { db, unknown } = openAt(path, list);
    return { db, path, unknownMigrations: unknown, recoveredFrom: { movedTo, reason: err.message } };
  }
}
