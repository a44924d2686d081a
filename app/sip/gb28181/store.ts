// SQLite persistence of devices (bindings and liveness), channels and transitions (tables in
// app/sip/migrations.ts). Bindings and transitions are queued when they happen and written in one
// transaction by writePending() (the service calls it every 50 ms, and every other method of this
// class calls it first, so reads and transitions always see them): one commit per batch instead of
// one per REGISTER is what lets thousands of registrations a second through. A power cut loses at
// most the last batch, and those devices register again when their keepalive gets 404.
// Last-heard times change with every keepalive and are written in batches by flushHeard().
// A renewal that changes nothing but the times is not written while the stored expiry still covers
// half of the new registration (see bind()).
import type { Database, Statement } from "bun:sqlite";

export interface DeviceRow {
  id: string; contact: string; address: string; transport: string; registered_at: number; expires_at: number;
  last_heard: number; state: string; reason: string; state_since: number; keepalive_address: string;
  user_agent: string; device_info: string; catalog_at: number; catalog_complete: number;
}
export interface ChannelRow { device_id: string; channel_id: string; name: string; status: string; info: string; updated: number }
export interface TransitionRow { ts: number; state: string; reason: string }

type Binding = { id: string; contact: string; address: string; transport: string; at: number; expiresAt: number; userAgent: string };

export class DeviceStore {
  private pending = new Map<string, Binding>();
  /** What each row holds since we wrote it: a hash of contact, address, transport and user agent, and the expiry. */
  private readonly rows = new Map<string, { sig: bigint; expiresAt: number }>();
  private pendingTrans: { id: string; ts: number; state: string; reason: string }[] = [];
  private readonly q: Record<string, Statement<any, any[]>>;
  constructor(private readonly db: Database, private readonly keepTransitions: () => number) {
    this.q = {
      bind: db.query(`INSERT INTO sip_devices (id, contact, address, transport, registered_at, expires_at, last_heard, user_agent)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5, ?7)
        ON CONFLICT(id) DO UPDATE SET contact=?2, address=?3, transport=?4, registered_at=?5, expires_at=?6, last_heard=?5, user_agent=?7`),
      unbind: db.query("UPDATE sip_devices SET expires_at = 0 WHERE id = ?"),
      heard: db.query("UPDATE sip_devices SET last_heard = ? WHERE id = ?"),
      state: db.query("UPDATE sip_devices SET state = ?, reason = ?, state_since = ? WHERE id = ?"),
      kaAddr: db.query("UPDATE sip_devices SET keepalive_address = ? WHERE id = ?"),
      info: db.query("UPDATE sip_devices SET device_info = ? WHERE id = ?"),
      catalog: db.query("UPDATE sip_devices SET catalog_at = ?, catalog_complete = ? WHERE id = ?"),
      chan: db.query(`INSERT INTO sip_channels (device_id, channel_id, name, status, info, updated) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT(device_id, channel_id) DO UPDATE SET name=excluded.name, status=excluded.status, info=excluded.info, updated=excluded.updated`),
      chanGone: db.query("DELETE FROM sip_channels WHERE device_id = ? AND updated < ?"),
      trans: db.query("INSERT INTO sip_transitions (device_id, ts, state, reason) VALUES (?, ?, ?, ?)"),
      transPrune: db.query("DELETE FROM sip_transitions WHERE device_id = ?1 AND id <= (SELECT id FROM sip_transitions WHERE device_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)"),
      one: db.query("SELECT * FROM sip_devices WHERE id = ?"),
      all: db.query("SELECT * FROM sip_devices ORDER BY id"),
      chans: db.query("SELECT * FROM sip_channels WHERE device_id = ? ORDER BY channel_id"),
      recent: db.query("SELECT ts, state, reason FROM sip_transitions WHERE device_id = ? ORDER BY id DESC LIMIT ?"),
    };
  }

  /**
   * Queues a binding (written by writePending), unless it only renews one this process stored whose
   * expiry is still at least half of the new registration away. After a restart the stored expiry
   * decides which devices are re-verified; one that is still that far out is good enough, so a device
   * that re-registers far more often than it must (some do every minute; a load test every second)
   * costs no write each time (at overload these writes were ~6 % of the gateway's CPU). A device whose
   * stored expiry has passed when the gateway restarts is not queried, stays offline, and is back at its
   * next REGISTER (a keepalive from it gets 404, which makes a camera register). Any other change
   * (contact, address, transport, user agent) is written.
   */
  bind(b: Binding): void {
    const row = this.rows.get(b.id);
    if (row !== undefined && !this.pending.has(b.id) && row.expiresAt - b.at >= (b.expiresAt - b.at) / 2 && row.sig === signature(b)) return;
    this.pending.set(b.id, b);
  }

  /** Whether a binding of this device waits to be written (its row will then carry last_heard too). */
  bindingPending(id: string): boolean { return this.pending.has(id); }

  /** Writes queued bindings, then queued transitions, in one transaction. */
  writePending(): void {
    if (this.pending.size === 0 && this.pendingTrans.length === 0) return;
    const list = this.pending, trans = this.pendingTrans;
    this.pending = new Map();
    this.pendingTrans = [];
    this.db.transaction(() => {
      for (const b of list.values()) {
        this.q.bind.run(b.id, b.contact, b.address, b.transport, b.at, b.expiresAt, b.userAgent);
        this.rows.set(b.id, { sig: signature(b), expiresAt: b.expiresAt });
      }
      const touched = new Set<string>();
      for (const t of trans) {
        this.q.state.run(t.state, t.reason, t.ts, t.id);
        this.q.trans.run(t.id, t.ts, t.state, t.reason);
        touched.add(t.id);
      }
      const keep = this.keepTransitions();
      for (const id of touched) this.q.transPrune.run(id, keep);
    })();
  }

  get pendingCount(): number { return this.pending.size + this.pendingTrans.length; }

  /** The queued or stored address and contact of a device (cheap: no write). */
  binding(id: string): { contact: string; address: string; transport: string; expiresAt: number } | null {
    const p = this.pending.get(id);
    if (p) return { contact: p.contact, address: p.address, transport: p.transport, expiresAt: p.expiresAt };
    const r = this.get(id);
    return r ? { contact: r.contact, address: r.address, transport: r.transport, expiresAt: r.expires_at } : null;
  }

  unbind(id: string): void { this.writePending(); this.rows.delete(id); this.q.unbind.run(id); }
  keepaliveAddress(id: string, addr: string): void { this.writePending(); this.q.kaAddr.run(addr, id); }
  deviceInfo(id: string, info: Record<string, string>): void { this.writePending(); this.q.info.run(JSON.stringify(info), id); }

  /** Queues a transition (the most recent ones per device are kept). */
  transition(id: string, ts: number, state: string, reason: string): void {
    this.pendingTrans.push({ id, ts, state, reason });
  }

  /** Stores a whole Catalog; when complete, channels the device no longer lists are removed. */
  catalog(id: string, at: number, channels: Record<string, string>[], complete: boolean): void {
    this.writePending();
    this.db.transaction(() => {
      for (const c of channels) this.q.chan.run(id, c.DeviceID, c.Name ?? "", c.Status ?? "", JSON.stringify(c), at);
      if (complete) this.q.chanGone.run(id, at);
      this.q.catalog.run(at, complete ? 1 : 0, id);
    })();
  }

  /** Writes last-heard times in one transaction. */
  flushHeard(list: { id: string; lastHeard: number }[]): void {
    this.writePending();
    if (!list.length) return;
    this.db.transaction(() => { for (const x of list) this.q.heard.run(x.lastHeard, x.id); })();
  }

  get(id: string): DeviceRow | null { this.writePending(); return (this.q.one.get(id) as DeviceRow) ?? null; }
  all(): DeviceRow[] { this.writePending(); return this.q.all.all() as DeviceRow[]; }
  channels(id: string): ChannelRow[] { this.writePending(); return this.q.chans.all(id) as ChannelRow[]; }
  recent(id: string, n: number): TransitionRow[] { this.writePending(); return this.q.recent.all(id, n) as TransitionRow[]; }
}

/** 64-bit hash of what a renewal must not change to be skipped (a copy of the strings per device would cost more memory). */
function signature(b: Binding): bigint {
  return BigInt(Bun.hash(`${b.contact}\n${b.address}\n${b.transport}\n${b.userAgent}`));
}
