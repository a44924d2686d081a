// GPIO character device (/dev/gpiochipN, the only interface on kernels built without
// CONFIG_GPIO_SYSFS) through the libgpiod command-line tools run as subprocesses: no native addon in
// the executable, and the tools are one `apt-get install gpiod` away on any Debian-based box.
// Both tool generations are spoken: v1 (Debian 12: `gpioget CHIP OFFSET`) and v2 (`gpioget -c CHIP`).
// An output is held by a long-running `gpioset` (the character device releases a line, and its level
// is undefined, when the process that requested it exits); changing the level restarts it.
import { join } from "node:path";
import type { Bit, Edge, GpioDriver, GpioLine, LineSpec } from "./types.ts";
import { wanted } from "./types.ts";

export interface ChardevOptions {
  /** Directory holding gpioget/gpioset/gpiomon; empty = from PATH. */
  toolsDir?: string;
  /** How long a new gpioset is given to fail before the request counts as made (ms). */
  requestWaitMs?: number;
  /** A line request that failed after requestWaitMs, or a holder that died. */
  onError?: (spec: LineSpec, message: string) => void;
  /** Environment for the tools (default: this process's). */
  env?: Record<string, string | undefined>;
  now?: () => number;
}

type Proc = ReturnType<typeof Bun.spawn>;

export class ChardevGpio implements GpioDriver {
  readonly kind = "chardev" as const;
  private version: 1 | 2 | null = null;
  private readonly procs = new Set<Proc>();
  constructor(private readonly o: ChardevOptions = {}) {}

  private env(): Record<string, string | undefined> { return this.o.env ?? process.env; }
  private tool(name: string): string { return this.o.toolsDir ? join(this.o.toolsDir, name) : name; }

  private async run(args: string[]): Promise<string> {
    const p = Bun.spawn(args, { stdout: "pipe", stderr: "pipe", env: this.env() });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    if (code !== 0) throw new Error(`${args.join(" ")}: exit ${code}: ${err.trim() || out.trim()}`);
    return out;
  }

  /** libgpiod generation: `gpioget --version` says "… v1.6.3" or "… v2.1". */
  async toolsVersion(): Promise<1 | 2> {
    if (this.version) return this.version;
    const out = await this.run([this.tool("gpioget"), "--version"]).catch((e) => { throw new Error(`gpio: libgpiod tools not usable (apt-get install gpiod): ${e.message}`); });
    this.version = /v2\./.test(out) ? 2 : 1;
    return this.version;
  }

  private async args(kind: "get" | "set" | "mon", spec: LineSpec, extra: string[] = []): Promise<string[]> {
    const v = await this.toolsVersion();
    const low = spec.activeLow ? ["--active-low"] : [];
    const name = { get: "gpioget", set: "gpioset", mon: "gpiomon" }[kind];
    if (v === 1) return [this.tool(name), ...low, ...extra, spec.chip, ...(kind === "set" ? [] : [String(spec.line)])];
    return [this.tool(name), "-c", spec.chip, ...low, ...extra];
  }

  private line(spec: LineSpec, edge: Edge, holder: { proc: Proc | null; level: Bit } | null): GpioLine {
    const subs = new Set<Proc>();
    const self = this;
    return {
      spec,
      async read(): Promise<Bit> {
        if (holder) return holder.level;          // a requested output cannot be read by another process
        const v = await self.toolsVersion();
        const out = await self.run(await self.args("get", spec, v === 2 ? ["--numeric", String(spec.line)] : []));
        return out.trim().endsWith("1") ? 1 : 0;
      },
      async write(v: Bit): Promise<void> {
        if (!holder) throw new Error(`gpio ${spec.chip}:${spec.line} is an input`);
        await self.hold(spec, v, holder);
      },
      watch(fn) {
        let last: Bit | null = null;
        const start = async () => {
          const v = await self.toolsVersion();
          // %e: v1 1 = rising, 0 = falling; v2 1 = rising, 2 = falling. %o: offset.
          const extra = v === 1 ? ["--format=%e %o"] : ["-e", "both", "--format=%e %o", String(spec.line)];
          const p = Bun.spawn(await self.args("mon", spec, extra), { stdout: "pipe", stderr: "ignore", env: self.env() });
          subs.add(p); self.procs.add(p);
          let buf = "";
          for await (const chunk of p.stdout as ReadableStream<Uint8Array>) {
            buf += new TextDecoder().decode(chunk);
            let i;
            while ((i = buf.indexOf("\n")) >= 0) {
              const [e] = buf.slice(0, i).trim().split(/\s+/);
              buf = buf.slice(i + 1);
              const next: Bit = e === "1" ? 1 : 0;
              const prev: Bit = last ?? (next ? 0 : 1);
              last = next;
              if (wanted(edge, prev, next)) fn(next, (self.o.now ?? Date.now)());
            }
          }
        };
        start().catch(() => {});
        return () => { for (const p of subs) { p.kill(); self.procs.delete(p); } subs.clear(); };
      },
      close() {
        for (const p of subs) { p.kill(); self.procs.delete(p); }
        subs.clear();
        if (holder?.proc) { holder.proc.kill(); self.procs.delete(holder.proc); holder.proc = null; }
      },
    };
  }

  private async hold(spec: LineSpec, v: Bit, holder: { proc: Proc | null; level: Bit }): Promise<void> {
    if (holder.proc) { const old = holder.proc; holder.proc = null; old.kill(); await old.exited; this.procs.delete(old); }
    const ver = await this.toolsVersion();
    const args = await this.args("set", spec, ver === 1 ? ["--mode=signal"] : []);
    const p = Bun.spawn([...args, `${spec.line}=${v}`], { stdout: "ignore", stderr: "pipe", env: this.env() });
    holder.proc = p; holder.level = v;
    this.procs.add(p);
    // gpioset says nothing on success; a failed request (busy line, no such chip) makes it exit.
    // Within requestWaitMs that is this call's error; later (a slow box) it goes to onError, and the
    // next write requests the line again.
    const failure = p.exited.then(async (code) => {
      this.procs.delete(p);
      if (holder.proc !== p) return null;                  // replaced or closed by us
      holder.proc = null;
      return `gpioset ${spec.chip} ${spec.line}=${v} exited ${code}: ${(await new Response(p.stderr as ReadableStream).text()).trim()}`;
    });
    const early = await Promise.race([failure, Bun.sleep(this.o.requestWaitMs ?? 100).then(() => undefined)]);
    if (typeof early === "string") throw new Error(early);
    if (early === undefined) void failure.then((msg) => { if (msg) this.o.onError?.(spec, msg); });
  }

  async input(spec: LineSpec, edge: Edge = "none"): Promise<GpioLine> { await this.toolsVersion(); return this.line(spec, edge, null); }
  async output(spec: LineSpec, initial: Bit = 0): Promise<GpioLine> {
    const holder = { proc: null as Proc | null, level: initial };
    const l = this.line(spec, "none", holder);
    await this.hold(spec, initial, holder);
    return l;
  }
  close(): void { for (const p of this.procs) p.kill(); this.procs.clear(); }
}
