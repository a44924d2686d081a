// Opening the gateway database: WAL mode, migrations, and the two failures a field box meets
// (a corrupt file after a power cut, a full disk). A corrupt file is set aside, never deleted, and a
// fresh one is started so the gateway keeps running; both cases raise a clear error and an event.
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { migrations as defaultMigrations, type Migration } from "./migrations.ts";

export interface OpenResult {
  db: Database;
  path: string;
  /** Set when the previous file was unreadable and was moved aside. */
  recoveredFrom?: { movedTo: string; reason: string };
  /** Schema version in the file; may exceed what this release knows after a rollback. */
  schemaVersion: number;
  knownVersion: number;
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

function migrate(db: Database, list: Migration[]): number {
  const current = (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
  for (const m of list) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.exec(`PRAGMA user_version = ${m.version}`);
    })();
  }
  return (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
}

function openAt(path: string, list: Migration[]): { db: Database; version: number } {
  const db = new Database(path, { create: true });
  try {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");   // WAL + NORMAL: durable across power cuts except the last commit(s) before it
    db.exec("PRAGMA busy_timeout = 5000");
    const check = db.query("PRAGMA quick_check").get() as { quick_check: string };
    if (check.quick_check !== "ok") throw new StoreError("corrupt", `database corrupt: ${check.quick_check}`);
    return { db, version: migrate(db, list) };
  } catch (e) {
    db.close();
    throw e;
  }
}

export function openStore(dataDir: string, opts: { file?: string; migrations?: Migration[] } = {}): OpenResult {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, opts.file ?? "gateway.db");
  const list = opts.migrations ?? defaultMigrations;
  const knownVersion = list.length ? list[list.length - 1].version : 0;
  try {
    const { db, version } = openAt(path, list);
    return { db, path, schemaVersion: version, knownVersion };
  } catch (e) {
    const err = classify(e);
    if (err.reason !== "corrupt" || !existsSync(path)) throw err;
    // Keep the damaged file (and its WAL) for recovery by hand; never delete a buffer.
    const movedTo = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    renameSync(path, movedTo);
    for (const ext of ["-wal", "-shm"]) if (existsSync(path + ext)) renameSync(path + ext, movedTo + ext);
    const { db, version } = openAt(path, list);
    return { db, path, schemaVersion: version, knownVersion, recoveredFrom: { movedTo, reason: err.message } };
  }
}
