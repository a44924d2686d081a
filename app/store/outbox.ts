// The store-and-forward queue where south (sources, bridge, SIP) meets north (MQTT, LoRa).
// Every point and event is written here before anything sends it, and deleted only when the broker
// acknowledged the message that carried it. Rows get a message sequence number (`msg`) when first
// packed into a message, so a resend after a reconnect or restart carries the same content under the
// same `seq`, and the cloud can drop duplicates by `seq` alone.
import type { Database, Statement } from "bun:sqlite";
import { classify, StoreError } from "./db.ts";
import { KV } from "./kv.ts";

export type Priority = "critical" | "normal" | "bulk";
export const PRIORITIES: Priority[] = ["critical", "normal", "bulk"];
const prioNum: Record<Priority, number> = { critical: 0, normal: 1, bulk: 2 };

/** q: quality, "good" unless the source knows better ("bad", "uncertain", or a Modbus exception). */
export interface Point { tag: string; v: number | string | boolean | null; ts: number; q?: string }

export interface OutMessage {
  seq: number;
  prio: Priority;
  kind: "point" | "event";
  /** Topic below the gateway's base: `telemetry/{device}` or `events`. */
  topic: string;
  payload: string;
  /** Points or events carried (for counters). */
  count: number;
}

export interface OutboxStats {
  rows: number;
  bytes: number;
  maxBytes: number;
  byPriority: Record<Priority, number>;
  dropped: Record<Priority, number>;
  oldestId: number | null;
  lastSeq: number;
  acked: number;
}

interface Row { id: number; prio: number; kind: string; topic: string; body: string; msg: number | null }

/** Row overhead beyond the JSON body, so the bound tracks the file roughly. */
const ROW_OVERHEAD = 40;

export interface OutboxOptions {
  maxBytes: number;
  now?: () => number;
  /** Called when data had to be dropped to stay within maxBytes. */
  onDrop?: (prio: Priority, count: number) => void;
  onError?: (err: StoreError) => void;
}

export class Outbox {
  private readonly kv: KV;
  private readonly insert: Statement;
  private readonly evictQ: Statement<{ bytes: number }, [number, number]>;
  private readonly ackQ: Statement<{ bytes: number }, [number]>;
  /** Messages packed and not yet acknowledged: seq → priority. Kept in memory so a drain does not
   *  scan the table for them; loaded once from the file (a previous run's unacknowledged messages). */
  private readonly packed = new Map<number, number>();
  private readonly rowsOfMsgQ: Statement<Row, [number]>;
  private readonly freshQ: Statement<Row, [number]>;
  private readonly setMsgQ: Statement;
  private bytes = 0;
  private acked = 0;
  /** The last write failure (disk full, corrupt), cleared by the next successful write. */
  lastError: StoreError | null = null;
  maxBytes: number;
  private readonly now: () => number;
  private readonly addedListeners = new Set<() => void>();
  private kickQueued = false;

  constructor(private readonly db: Database, private readonly opts: OutboxOptions) {
    this.kv = new KV(db);
    this.maxBytes = opts.maxBytes;
    this.now = opts.now ?? Date.now;
    this.insert = db.query("INSERT INTO outbox (prio, kind, topic, body, bytes) VALUES (?, ?, ?, ?, ?)");
    this.evictQ = db.query("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE prio = ? ORDER BY id LIMIT ?) RETURNING bytes");
    this.ackQ = db.query("DELETE FROM outbox WHERE msg = ? RETURNING bytes");
    for (const r of db.query("SELECT msg, MIN(prio) p FROM outbox WHERE msg IS NOT NULL GROUP BY msg").all() as { msg: number; p: number }[]) this.packed.set(r.msg, r.p);
    this.rowsOfMsgQ = db.query("SELECT id, prio, kind, topic, body, msg FROM outbox WHERE msg = ? ORDER BY id");
    this.freshQ = db.query("SELECT id, prio, kind, topic, body, msg FROM outbox WHERE msg IS NULL ORDER BY prio, id LIMIT ?");
    this.setMsgQ = db.query("UPDATE outbox SET msg = ? WHERE id >= ? AND id <= ? AND msg IS NULL AND prio = ? AND topic = ? AND kind = ?");
    this.bytes = (db.query("SELECT COALESCE(SUM(bytes), 0) b FROM outbox").get() as { b: number }).b;
  }

  /** Called (once per tick, however many writes) after new rows were committed: the uplink drains. */
  onAdded(fn: () => void): () => void {
    this.addedListeners.add(fn);
    return () => this.addedListeners.delete(fn);
  }

  private added(): void {
    if (this.kickQueued || !this.addedListeners.size) return;
    this.kickQueued = true;
    queueMicrotask(() => {
      this.kickQueued = false;
      for (const fn of this.addedListeners) fn();
    });
  }

  /** Runs fn in one transaction with the writes it makes here (e.g. a counter and its point). */
  transaction<T>(fn: () => T): T {
    const bytesBefore = this.bytes;   // a rolled-back write must not move the byte count
    try {
      const r = this.db.transaction(fn)();
      this.lastError = null;
      return r;
    } catch (e) {
      this.bytes = bytesBefore;
      throw this.fail(e);
    }
  }

  /** Adds points for one device, atomically; `also` runs inside the same transaction. */
  addPoints(device: string, points: Point[], prio: Priority = "normal", also?: () => void): void {
    if (!points.length) return;
    this.transaction(() => {
      also?.();
      for (const p of points) {
        const body = JSON.stringify({ tag: p.tag, v: p.v, ts: p.ts, q: p.q ?? "good" });
        this.insert.run(prioNum[prio], "point", device, body, body.length + ROW_OVERHEAD);
        this.bytes += body.length + ROW_OVERHEAD;
      }
      this.enforceBound();
    });
    this.added();
  }

  /** Adds one event `{id, type, ts, ...fields}`; returns its id. */
  addEvent(type: string, fields: Record<string, unknown> = {}, prio: Priority = "normal"): string {
    return this.addEvents([{ type, fields, prio }])[0];
  }

  /** Adds several events in one transaction (one commit, not one per event); returns their ids. */
  addEvents(events: { type: string; fields?: Record<string, unknown>; prio?: Priority }[]): string[] {
    const ids: string[] = [];
    this.transaction(() => {
      for (const e of events) {
        const id = crypto.randomUUID();
        const body = JSON.stringify({ id, type: e.type, ts: this.now(), ...e.fields });
        this.insert.run(prioNum[e.prio ?? "normal"], "event", e.type, body, body.length + ROW_OVERHEAD);
        this.bytes += body.length + ROW_OVERHEAD;
        ids.push(id);
      }
      this.enforceBound();
    });
    this.added();
    return ids;
  }

  /** Keeps payload bytes within maxBytes: oldest bulk first, then oldest normal; critical is kept. */
  private enforceBound(): void {
    for (const prio of ["bulk", "normal"] as Priority[]) {
      let dropped = 0;
      while (this.bytes > this.maxBytes) {
        const rows = this.evictQ.all(prioNum[prio], 256);
        if (!rows.length) break;
        for (const r of rows) this.bytes -= r.bytes;
        dropped += rows.length;
      }
      if (dropped) {
        this.kv.set(`dropped.${prio}`, String(this.kv.getNumber(`dropped.${prio}`) + dropped));
        this.opts.onDrop?.(prio, dropped);
      }
      if (this.bytes <= this.maxBytes) return;
    }
  }

  /**
   * Next messages to send, at most `max`, skipping those in `inflight`. Messages packed earlier and
   * not yet acknowledged come first, exactly as they were; then fresh rows are packed, by priority,
   * events one per message and points grouped per device, at most `batchPoints` per message.
   */
  take(max: number, batchPoints: number, inflight: ReadonlySet<number> = new Set()): OutMessage[] {
    if (max <= 0) return [];
    try {
      const out: OutMessage[] = [];
      // Usually every packed message is in flight and this loop does nothing; after a reconnect or a
      // restart they are resent first, by priority, then by seq.
      const resend = [...this.packed].filter(([seq]) => !inflight.has(seq)).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
      for (const [msg] of resend) {
        const rows = this.rowsOfMsgQ.all(msg);
        if (!rows.length) { this.packed.delete(msg); continue; }   // its rows were dropped to stay within maxBytes
        out.push(this.pack(msg, rows));
        if (out.length >= max) return out;
      }
      return this.db.transaction(() => {
        const fresh = this.freshQ.all((max - out.length) * batchPoints);
        const groups: Row[][] = [];
        const open = new Map<string, Row[]>();
        for (const r of fresh) {
          if (r.kind === "event") { groups.push([r]); continue; }
          const key = `${r.prio}\u0000${r.topic}`;
          let g = open.get(key);
          // Rows of one group must be contiguous in id among rows of the same topic and priority,
          // so that the range UPDATE below marks exactly them.
          if (!g || g.length >= batchPoints) { g = []; open.set(key, g); groups.push(g); }
          g.push(r);
        }
        for (const g of groups) {
          if (out.length >= max) break;
          const seq = this.kv.getNumber("msg_seq") + 1;
          this.kv.set("msg_seq", String(seq));
          const first = g[0], last = g[g.length - 1];
          this.setMsgQ.run(seq, first.id, last.id, first.prio, first.topic, first.kind);
          this.packed.set(seq, first.prio);
          out.push(this.pack(seq, g));
        }
        return out;
      })();
    } catch (e) { throw this.fail(e); }
  }

  private pack(seq: number, rows: Row[]): OutMessage {
    const prio = PRIORITIES[rows[0].prio];
    if (rows[0].kind === "event") {
      const body = rows[0].body;
      return { seq, prio, kind: "event", topic: "events", payload: `{"seq":${seq},${body.slice(1)}`, count: 1 };
    }
    return { seq, prio, kind: "point", topic: `telemetry/${rows[0].topic}`, payload: `{"seq":${seq},"points":[${rows.map((r) => r.body).join(",")}]}`, count: rows.length };
  }

  /** The broker acknowledged message `seq`: its rows are gone for good. Idempotent. */
  ack(seq: number): number {
    try {
      const rows = this.ackQ.all(seq);
      this.packed.delete(seq);
      for (const r of rows) this.bytes -= r.bytes;
      this.acked += rows.length;
      return rows.length;
    } catch (e) { throw this.fail(e); }
  }

  stats(): OutboxStats {
    const byPriority = { critical: 0, normal: 0, bulk: 0 };
    for (const r of this.db.query("SELECT prio, COUNT(*) n FROM outbox GROUP BY prio").all() as { prio: number; n: number }[]) byPriority[PRIORITIES[r.prio]] = r.n;
    const oldest = this.db.query("SELECT MIN(id) id FROM outbox").get() as { id: number | null };
    return {
      rows: byPriority.critical + byPriority.normal + byPriority.bulk,
      bytes: this.bytes,
      maxBytes: this.maxBytes,
      byPriority,
      dropped: { critical: 0, normal: this.kv.getNumber("dropped.normal"), bulk: this.kv.getNumber("dropped.bulk") },
      oldestId: oldest.id,
      lastSeq: this.kv.getNumber("msg_seq"),
      acked: this.acked,
    };
  }

  private fail(e: unknown): StoreError {
    const err = e instanceof StoreError ? e : classify(e);
    if (e instanceof StoreError) return err;   // already reported by an inner transaction
    this.lastError = err;
    this.opts.onError?.(err);
    return err;
  }
}
