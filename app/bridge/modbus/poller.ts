// One device's poll loop: reads its coalesced blocks, decodes tags, reports changes beyond the
// deadband plus a periodic full report into the outbox, and keeps a health state:
//   ok        every block answered with data;
//   degraded  some blocks failed (an exception, one lost answer) or fewer than DOWN_AFTER cycles failed;
//   down      DOWN_AFTER cycles in a row with no answer at all → `bridge.device.down`, polls back off
//             (doubling up to BACKOFF_CAP), and the first answer again → `bridge.device.up`.
// A poller must outlive any error for days (the anchors' "poller dies after a long outage"): the next
// poll is scheduled in `finally`, a watchdog abandons a cycle that never settles, and every timer
// goes through the injected clock, so a test runs days in milliseconds (test/bridge/poller.test.ts).
import type { Clock } from "../../core/clock.ts";
import type { Logger } from "../../core/logger.ts";
import type { Point, Priority } from "../../store/outbox.ts";
import type { Device, Tag } from "../model.ts";
import { coalesce, isBitArea, split, type Block, type GapCost, type Span } from "./coalesce.ts";
import { ModbusError, ModbusException } from "./codec.ts";
import { deviceAnswered, qualityOf, UnitClient } from "./client.ts";
import { decodeRegisters, toValue } from "./types.ts";

export const DOWN_AFTER = 3;
export const BACKOFF_CAP_MS = 60_000;
const MAX_TIMER_MS = 2_000_000_000;

export type DeviceState = "starting" | "ok" | "degraded" | "down";

export interface TagValue { v: number | string | boolean | null; q: string; ts: number }

export interface PollerDeps {
  clock: Clock;
  log: Logger;
  client: UnitClient;
  gap: GapCost;
  addPoints: (device: string, points: Point[], prio: Priority) => void;
  onDown: (e: { device: string; reason: string; failures: number }) => void;
  onUp: (e: { device: string; downMs: number }) => void;
}

export interface PollerStats { cycles: number; failedCycles: number; requests: number; lastCycleRequests: number; points: number; stuck: number }

export class DevicePoller {
  state: DeviceState = "starting";
  failures = 0;
  lastError: string | null = null;
  lastOkAt: number | null = null;
  downSince: number | null = null;
  nextPollAt: number | null = null;
  blocks: Block[];
  readonly values = new Map<number, TagValue>();
  readonly stats: PollerStats = { cycles: 0, failedCycles: 0, requests: 0, lastCycleRequests: 0, points: 0, stuck: 0 };
  private readonly reported = new Map<number, TagValue>();
  private readonly spans: Map<number, Span>;
  private scale = 1;
  private timer: number | null = null;
  private watchdog: number | null = null;
  private gen = 0;
  private running = false;
  private stopped = true;
  private lastStart = 0;
  private lastFull = -Infinity;

  constructor(readonly device: Device, private readonly d: PollerDeps) {
    this.spans = new Map(device.tags.map((t) => [t.id, { area: t.area, start: t.address, width: t.width, id: t.id }]));
    this.blocks = coalesce([...this.spans.values()], d.gap);
  }

  start(): void {
    this.stopped = false;
    this.lastStart = this.d.clock.now();
    this.arm(0);
  }

  stop(): void {
    this.stopped = true;
    this.gen++;
    this.running = false;
    if (this.timer !== null) this.d.clock.clearTimeout(this.timer);
    if (this.watchdog !== null) this.d.clock.clearTimeout(this.watchdog);
    this.timer = this.watchdog = null;
  }

  /** Poll period multiplier from the energy mode (2 = half as often). Applies at once. */
  setScale(factor: number): void {
    this.scale = factor;
    if (!this.stopped && !this.running && this.timer !== null) this.schedule();
  }

  /** Poll as soon as the line is free (after a write). */
  pollSoon(): void {
    if (!this.stopped && !this.running) this.arm(0);
  }

  get intervalMs(): number { return Math.max(1, Math.round(this.device.pollMs * this.scale)); }

  /** Delay after a cycle: the poll period, or while down a doubling backoff up to the cap. */
  private delayMs(): number {
    const p = this.intervalMs;
    if (this.state !== "down") return p;
    const cap = Math.max(p, Math.min(BACKOFF_CAP_MS * this.scale, 32 * p));
    return Math.min(cap, p * 2 ** Math.min(20, this.failures - DOWN_AFTER + 1));
  }

  private schedule(): void {
    const now = this.d.clock.now();
    this.arm(Math.max(0, this.lastStart + this.delayMs() - now));
  }

  private arm(ms: number): void {
    // Timers past 2^31 ms fire at once (Node/Bun semantics): a huge poll scale must not become a busy loop.
    ms = Math.min(ms, MAX_TIMER_MS);
    if (this.timer !== null) this.d.clock.clearTimeout(this.timer);
    this.nextPollAt = this.d.clock.now() + ms;
    this.timer = this.d.clock.setTimeout(() => { this.timer = null; void this.run(); }, ms);
  }

  private async run(): Promise<void> {
    if (this.stopped || this.running) return;
    const gen = ++this.gen;
    this.running = true;
    this.lastStart = this.d.clock.now();
    this.nextPollAt = null;
    // A cycle takes at most every block's attempts at the full timeout, plus waiting behind other
    // devices on a shared line; far past that it is stuck (a bug, a driver that never settles).
    const budget = 4 * this.blocks.length * (this.device.retries + 1) * (this.device.timeoutMs + 1000) + 60_000;
    this.watchdog = this.d.clock.setTimeout(() => {
      this.watchdog = null;
      if (gen !== this.gen) return;
      this.stats.stuck++;
      this.d.log.error("poll cycle did not finish; abandoned", { device: this.device.name, budgetMs: budget });
      this.gen++;
      this.running = false;
      if (!this.stopped) this.schedule();
    }, budget);
    try {
      await this.cycle(gen);
    } catch (e) {
      // Anything unforeseen is logged and the loop goes on.
      this.lastError = String(e);
      this.d.log.error("poll cycle failed", { device: this.device.name, error: String(e) });
    } finally {
      if (gen === this.gen) {
        if (this.watchdog !== null) { this.d.clock.clearTimeout(this.watchdog); this.watchdog = null; }
        this.running = false;
        if (!this.stopped) this.schedule();
      }
    }
  }

  private async cycle(gen: number): Promise<void> {
    const { device } = this;
    let answered = 0, failed = 0, requests = 0;
    let deadReason: string | null = null;
    let firstError: unknown = null;
    const blocks = this.blocks;
    const replace = new Map<Block, Block[]>();
    for (const block of blocks) {
      if (gen !== this.gen) return;
      if (deadReason) { this.markBad(block, deadReason); failed++; continue; }
      let lastErr: unknown = null;
      for (let attempt = 0; attempt <= device.retries; attempt++) {
        requests++;
        try {
          const r = await this.d.client.read(block.area, block.start, block.count);
          if (gen !== this.gen) return;
          this.decodeBlock(block, r);
          lastErr = null;
          break;
        } catch (e) {
          lastErr = e;
          if (e instanceof ModbusException) break;     // the device answered: asking again changes nothing
        }
      }
      if (gen !== this.gen) return;
      if (lastErr === null) { answered++; continue; }
      failed++;
      firstError ??= lastErr;
      const q = qualityOf(lastErr);
      this.markBad(block, q);
      if (deviceAnswered(lastErr)) {
        answered++;
        const code = (lastErr as ModbusException).code;
        if ((code === 2 || code === 3) && block.ids.length > 1) replace.set(block, split(block, this.spans));
      } else if (lastErr instanceof ModbusError && answered === 0) {
        // Nobody home: the other blocks would only wait out the same timeout.
        deadReason = q;
      }
    }
    if (replace.size) this.blocks = this.blocks.flatMap((b) => replace.get(b) ?? [b]);
    this.stats.cycles++;
    this.stats.requests += requests;
    this.stats.lastCycleRequests = requests;
    this.updateState(answered, failed, firstError);
    this.report();
  }

  private decodeBlock(block: Block, r: { bits?: boolean[]; bytes?: Uint8Array }): void {
    const ts = this.d.clock.now();
    for (const id of block.ids) {
      const t = this.device.tags[id];
      const off = t.address - block.start;
      let v: number | string | boolean | null;
      if (isBitArea(t.area)) v = r.bits ? r.bits[off] : null;
      else v = r.bytes ? toValue(decodeRegisters(r.bytes.subarray(off * 2, (off + t.width) * 2), t), t.scale, t.offset) : null;
      if (typeof v === "number" && !Number.isFinite(v)) v = String(v);   // NaN/Infinity are not JSON
      this.values.set(id, { v, q: "good", ts });
    }
  }

  private markBad(block: Block, q: string): void {
    const ts = this.d.clock.now();
    for (const id of block.ids) this.values.set(id, { v: null, q, ts });
  }

  private updateState(answered: number, failed: number, err: unknown): void {
    const now = this.d.clock.now();
    const prev = this.state;
    if (err) this.lastError = err instanceof Error ? err.message : String(err);
    if (answered > 0) {
      this.failures = 0;
      this.lastOkAt = now;
      this.state = failed ? "degraded" : "ok";
      if (prev === "down") {
        const downMs = now - (this.downSince ?? now);
        this.downSince = null;
        this.d.log.info("device is back", { device: this.device.name, downMs });
        this.d.onUp({ device: this.device.name, downMs });
      }
    } else if (this.blocks.length) {
      this.failures++;
      this.stats.failedCycles++;
      if (this.failures >= DOWN_AFTER) {
        this.state = "down";
        if (prev !== "down") {
          this.downSince = now;
          this.d.log.warn("device is down", { device: this.device.name, reason: this.lastError, failures: this.failures });
          this.d.onDown({ device: this.device.name, reason: this.lastError ?? "no answer", failures: this.failures });
        }
      } else this.state = "degraded";
    } else this.state = "ok";
    if (prev !== this.state && this.state === "degraded") this.d.log.info("device degraded", { device: this.device.name, error: this.lastError });
  }

  /** Points for values that moved beyond the deadband or changed quality, or all on a full report. */
  private report(): void {
    const now = this.d.clock.now();
    const full = this.device.reportEveryMs > 0 && now - this.lastFull >= this.device.reportEveryMs;
    if (full) this.lastFull = now;
    const points: Point[] = [];
    for (const t of this.device.tags) {
      const cur = this.values.get(t.id);
      if (!cur) continue;
      const last = this.reported.get(t.id);
      if (!full && last && !changed(t, last, cur)) continue;
      this.reported.set(t.id, cur);
      points.push({ tag: t.name, v: cur.v, ts: cur.ts, q: cur.q });
    }
    if (!points.length) return;
    try {
      this.d.addPoints(this.device.name, points, "normal");
      this.stats.points += points.length;
    } catch (e) {
      // The store refused (disk full…): forget what was "reported" so the next cycle tries again.
      for (const t of this.device.tags) this.reported.delete(t.id);
      this.d.log.warn("points not stored", { device: this.device.name, error: String(e) });
    }
  }
}

function changed(t: Tag, last: TagValue, cur: TagValue): boolean {
  if (last.q !== cur.q) return true;
  if (typeof cur.v === "number" && typeof last.v === "number") return Math.abs(cur.v - last.v) > t.deadband || (t.deadband === 0 && cur.v !== last.v);
  return cur.v !== last.v;
}
