// Sysfs GPIO (Documentation/ABI/obsolete/sysfs-gpio), read and written with node:fs exactly as the
// `onoff` package does it: write the number to `export`, then `direction`, `active_low`, `edge`, and
// keep the `value` file open for pread/pwrite. We do not import onoff itself: its module loads the
// native `epoll` addon at import time, which Bun refuses (addon built for Node's ABI, needs libuv)
// and which cannot be compiled into the arm64 executable. Edge detection here needs no addon:
// the kernel's sysfs_notify() on `value` also raises inotify IN_MODIFY (kernfs_notify), which Bun's
// fs.watch delivers; a bounded re-read every `pollMs` catches anything a watcher missed.
//
// Numbering: sysfs uses global numbers = chip base + offset. Since Linux 6.6 bases are allocated
// dynamically from 512 up, so the base is read from gpiochipN/base, never assumed.
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, watch, writeFileSync, writeSync, type FSWatcher } from "node:fs";
import { join } from "node:path";
import type { Bit, Edge, GpioDriver, GpioLine, LineSpec } from "./types.ts";
import { wanted } from "./types.ts";

export interface SysfsOptions {
  /** The GPIO class directory; tests point this at a fake tree. */
  root?: string;
  /** Bound on edge latency when no notification arrives (ms). */
  pollMs?: number;
  /** How long to wait for udev to create/chmod an exported line (ms). */
  exportWaitMs?: number;
  now?: () => number;
}

interface ChipInfo { dir: string; label: string; base: number; ngpio: number; devName: string | null }

export class SysfsGpio implements GpioDriver {
  readonly kind = "sysfs" as const;
  readonly root: string;
  private readonly lines = new Set<GpioLine>();
  constructor(private readonly o: SysfsOptions = {}) { this.root = o.root ?? "/sys/class/gpio"; }

  static available(root = "/sys/class/gpio"): boolean { return existsSync(join(root, "export")); }

  chips(): ChipInfo[] {
    const out: ChipInfo[] = [];
    for (const dir of readdirSync(this.root)) {
      if (!dir.startsWith("gpiochip")) continue;
      const rd = (f: string) => { try { return readFileSync(join(this.root, dir, f), "utf8").trim(); } catch { return ""; } };
      let devName: string | null = null;
      try { devName = readdirSync(join(this.root, dir, "device")).find((n) => /^gpiochip\d+$/.test(n)) ?? null; } catch { /* no device link */ }
      out.push({ dir, label: rd("label"), base: Number(rd("base")), ngpio: Number(rd("ngpio")), devName });
    }
    return out;
  }

  /** Global sysfs number of a line: the chip's base (from sysfs, never assumed) + offset. */
  number(spec: LineSpec): number {
    const chips = this.chips();
    const c = chips.find((x) => x.label === spec.chip) ?? chips.find((x) => x.devName === spec.chip) ?? chips.find((x) => x.dir === spec.chip);
    if (!c || !Number.isFinite(c.base)) throw new Error(`gpio: no chip "${spec.chip}" under ${this.root} (have: ${chips.map((x) => x.label || x.dir).join(", ") || "none"})`);
    if (spec.line < 0 || (c.ngpio && spec.line >= c.ngpio)) throw new Error(`gpio: line ${spec.line} out of range for ${spec.chip} (ngpio ${c.ngpio})`);
    return c.base + spec.line;
  }

  private exportLine(n: number): string {
    const dir = join(this.root, `gpio${n}`);
    if (!existsSync(dir)) writeFileSync(join(this.root, "export"), String(n));
    // udev may take a moment to create the directory and set permissions (onoff waits the same way).
    const until = Date.now() + (this.o.exportWaitMs ?? 2000);
    while (!existsSync(join(dir, "value"))) {
      if (Date.now() > until) throw new Error(`gpio: ${dir}/value did not appear after export`);
      Bun.sleepSync(5);
    }
    return dir;
  }

  private open(spec: LineSpec, direction: "in" | "high" | "low", edge: Edge): GpioLine {
    const n = this.number(spec);
    const dir = this.exportLine(n);
    const put = (f: string, v: string) => { try { writeFileSync(join(dir, f), v); } catch (e) { if (f !== "edge" || edge !== "none") throw e; } };
    put("active_low", spec.activeLow ? "1" : "0");
    // "high"/"low" set direction out with an initial level in one write (no glitch on the pin).
    put("direction", direction);
    if (direction === "in") put("edge", edge);
    const valuePath = join(dir, "value");
    const fd = openSync(valuePath, "r+");
    const buf = Buffer.alloc(2);
    const readBit = (): Bit => { readSync(fd, buf, 0, 1, 0); return buf[0] === 0x31 ? 1 : 0; };
    const now = this.o.now ?? Date.now;
    const watchers = new Set<{ stop: () => void }>();
    const line: GpioLine = {
      spec,
      read: async () => readBit(),
      write: async (v) => { writeSync(fd, v ? "1" : "0", 0); },
      watch: (fn) => {
        let last = readBit();
        const check = () => {
          let v: Bit;
          try { v = readBit(); } catch { return; }
          if (v === last) return;
          const prev = last; last = v;
          if (wanted(edge, prev, v)) fn(v, now());
        };
        let w: FSWatcher | null = null;
        try { w = watch(valuePath, check); w.on("error", () => {}); } catch { /* no inotify: polling only */ }
        const t = setInterval(check, this.o.pollMs ?? 1000);
        const h = { stop: () => { clearInterval(t); w?.close(); } };
        watchers.add(h);
        return () => { h.stop(); watchers.delete(h); };
      },
      close: () => {
        for (const h of watchers) h.stop();
        watchers.clear();
        try { closeSync(fd); } catch { /* closed */ }
        this.lines.delete(line);
      },
    };
    this.lines.add(line);
    return line;
  }

  async input(spec: LineSpec, edge: Edge = "none"): Promise<GpioLine> { return this.open(spec, "in", edge); }
  async output(spec: LineSpec, initial: Bit = 0): Promise<GpioLine> {
    // "high"/"low" in `direction` are raw (physical) levels (gpiolib-sysfs direction_store uses
    // gpiod_direction_output_raw), so active-low is applied here; `value` writes are logical.
    const physical = spec.activeLow ? !initial : !!initial;
    return this.open(spec, physical ? "high" : "low", "none");
  }
  /** Closes every line; lines stay exported (a box's outputs keep their level across a restart). */
  close(): void { for (const l of [...this.lines]) l.close(); }
}
