// Multi-packet Catalog responses (GB/T 28181-2016 A.2.6.4): a device with many channels answers one
// Catalog query with several MESSAGEs sharing the query's SN, each carrying some Items and the total
// SumNum. Items are collected per (device, SN), de-duplicated by channel DeviceID, and delivered once
// SumNum distinct channels are in, or when `timeoutMs` passes after the last packet (then marked
// partial, since a UDP packet may be lost for good).
import type { Clock, TimerId } from "../../core/clock.ts";

export interface CatalogResult { device: string; sn: number; sumNum: number; channels: Record<string, string>[]; complete: boolean }

interface Pending { device: string; sn: number; sumNum: number; items: Map<string, Record<string, string>>; timer: TimerId }

export class CatalogAssembler {
  private readonly pending = new Map<string, Pending>();
  constructor(private readonly d: { clock: Clock; timeoutMs: () => number; onDone: (r: CatalogResult) => void; maxPending?: number }) {}

  /** One Catalog response packet. */
  add(device: string, sn: number, sumNum: number, items: Record<string, string>[]): void {
    const key = `${device}\u0000${sn}`;
    let p = this.pending.get(key);
    if (!p) {
      if (this.pending.size >= (this.d.maxPending ?? 10_000)) this.flushOldest();
      p = { device, sn, sumNum, items: new Map(), timer: 0 };
      this.pending.set(key, p);
    } else this.d.clock.clearTimeout(p.timer);
    if (Number.isFinite(sumNum) && sumNum >= 0) p.sumNum = sumNum;
    for (const it of items) { const id = it.DeviceID; if (id) p.items.set(id, it); }
    if (p.items.size >= p.sumNum) return this.finish(key, p, true);
    p.timer = this.d.clock.setTimeout(() => this.finish(key, p!, false), this.d.timeoutMs());
  }

  get size(): number { return this.pending.size; }

  stop(): void { for (const p of this.pending.values()) this.d.clock.clearTimeout(p.timer); this.pending.clear(); }

  private finish(key: string, p: Pending, complete: boolean): void {
    this.d.clock.clearTimeout(p.timer);
    this.pending.delete(key);
    this.d.onDone({ device: p.device, sn: p.sn, sumNum: p.sumNum, channels: [...p.items.values()], complete });
  }

  private flushOldest(): void {
    const first = this.pending.entries().next().value;
    if (first) this.finish(first[0], first[1], false);
  }
}
