// Opening the database: migrations per module, rollback readability, a corrupt file, a full disk.
import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../app/store/db.ts";
import { coreMigrations, type Migration } from "../../app/store/migrations.ts";
import { Outbox } from "../../app/store/outbox.ts";

const dir = () => mkdtempSync(join(tmpdir(), "st-"));

describe("store", () => {
  test("WAL mode and migrations recorded once per module and version", () => {
    const d = dir();
    const a = openStore(d);
    expect((a.db.query("PRAGMA journal_mode").get() as any).journal_mode).toBe("wal");
    const n = (a.db.query("SELECT COUNT(*) n FROM migrations").get() as any).n;
    a.db.close();
    const b = openStore(d);
    expect((b.db.query("SELECT COUNT(*) n FROM migrations").get() as any).n).toBe(n);
    expect(b.unknownMigrations).toEqual([]);
    b.db.close();
  });

  test("a database migrated by a newer release stays usable by the previous one (rollback)", () => {
    const d = dir();
    const newer: Migration[] = [...coreMigrations, {
      module: "core", version: 99, name: "future column and table",
      sql: "ALTER TABLE outbox ADD COLUMN future TEXT DEFAULT 'x'; CREATE TABLE future_things (id INTEGER PRIMARY KEY);",
    }];
    const n = openStore(d, { migrations: newer });
    new Outbox(n.db, { maxBytes: 1 << 20 }).addPoints("m", [{ tag: "t", v: 1, ts: 1 }]);
    n.db.close();
    // The previous release: knows only the core migrations.
    const old = openStore(d, { migrations: coreMigrations });
    expect(old.unknownMigrations).toEqual(["core/99"]);
    const ob = new Outbox(old.db, { maxBytes: 1 << 20 });
    ob.addPoints("m", [{ tag: "t", v: 2, ts: 2 }]);
    const msgs = ob.take(10, 10);
    expect(msgs).toHaveLength(1);
    expect(JSON.parse(msgs[0].payload).points.map((p: any) => p.v)).toEqual([1, 2]);
    expect(ob.ack(msgs[0].seq)).toBe(2);
    old.db.close();
  });

  test("a corrupt file is moved aside (never deleted) and a fresh database starts", () => {
    const d = dir();
    writeFileSync(join(d, "gateway.db"), Buffer.alloc(8192, 0x5a));
    const r = openStore(d);
    expect(r.recoveredFrom).toBeDefined();
    expect(r.recoveredFrom!.reason).toMatch(/corrupt|not a database/);
    expect(existsSync(r.recoveredFrom!.movedTo)).toBe(true);
    expect(readdirSync(d).some((f) => f.startsWith("gateway.db.corrupt-"))).toBe(true);
    new Outbox(r.db, { maxBytes: 1 << 20 }).addPoints("m", [{ tag: "t", v: 1, ts: 1 }]);
    r.db.close();
  });

  test("a full disk is a clear error value and an event; nothing already stored is lost", () => {
    const d = dir();
    const r = openStore(d);
    const errors: string[] = [];
    const ob = new Outbox(r.db, { maxBytes: 1 << 30, onError: (e) => errors.push(`${e.reason}: ${e.message}`) });
    ob.addPoints("m", [{ tag: "t", v: 1, ts: 1 }]);
    // SQLite's own limit stands in for a full filesystem: it fails writes with SQLITE_FULL exactly
    // as a full disk does, without filling the machine's disk.
    const bytesBefore = ob.stats().bytes;
    const pages = (r.db.query("PRAGMA page_count").get() as any).page_count;
    r.db.exec(`PRAGMA max_page_count = ${pages}`);
    let thrown: unknown;
    try { ob.addPoints("m", Array.from({ length: 5000 }, (_, i) => ({ tag: "big", v: "x".repeat(200) + i, ts: i }))); }
    catch (e) { thrown = e; }
    expect(String((thrown as any)?.reason)).toBe("full");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toStartWith("full: disk full");
    expect(ob.lastError?.reason).toBe("full");
    expect(ob.stats().bytes).toBe(bytesBefore);
    r.db.exec("PRAGMA max_page_count = 1073741823");
    const msgs = ob.take(10, 10);
    expect(msgs.flatMap((m) => JSON.parse(m.payload).points.map((p: any) => p.v))).toEqual([1]);
    ob.addPoints("m", [{ tag: "t", v: 2, ts: 2 }]);
    expect(ob.lastError).toBeNull();
    r.db.close();
  });
});
