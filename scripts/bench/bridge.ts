// Bridge benchmark: N devices × M tags polled every second against simulated Modbus TCP slaves
// (hw/sim/modbus-slave.ts, model "bench": every register changes on every read, so every tag is
// reported every cycle — the worst case for the outbox). The slaves run in a child process so the
// figures are the gateway side only. Prints points/s into the outbox (a real SQLite outbox), requests
// per poll cycle against one request per tag, CPU and RSS.
//
//   bun scripts/bench/bridge.ts [--devices 100] [--tags 100] [--seconds 20] [--poll-ms 1000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SystemClock } from "../../app/core/clock.ts";
import { LogHub } from "../../app/core/logger.ts";
import { openStore } from "../../app/store/db.ts";
import { Outbox } from "../../app/store/outbox.ts";
import { Bridge } from "../../app/bridge/bridge.ts";
import { validateConfig } from "../../app/config/validate.ts";

const arg = (k: string, d: number) => { const i = process.argv.indexOf(k); return i > 0 ? Number(process.argv[i + 1]) : d; };
const DEVICES = arg("--devices", 100), TAGS = arg("--tags", 100), SECONDS = arg("--seconds", 20), POLL = arg("--poll-ms", 1000);
const ROOT = resolve(import.meta.dir, "../..");

/** A realistic tag map: mixed types with small gaps, some input registers, some coils. */
function tagsFor(n: number) {
  const tags: any[] = [];
  const types = ["uint16", "int16", "int32", "float32", "uint32", "float64"];
  let h = 0, inp = 0, coil = 0;
  for (let i = 0; i < n; i++) {
    const kind = i % 10;
    if (kind < 6) {
      const type = types[i % types.length];
      tags.push({ name: `h${i}`, area: "holding", address: h, type });
      h += ({ uint16: 1, int16: 1, int32: 2, float32: 2, uint32: 2, float64: 4 } as any)[type] + (i % 7 === 0 ? 3 : 0);
    } else if (kind < 8) { tags.push({ name: `i${i}`, area: "input", address: inp, type: "uint16" }); inp += 2; }
    else { tags.push({ name: `c${i}`, area: "coil", address: coil }); coil += 5; }
  }
  return tags;
}

async function startSlaves(): Promise<{ proc: ReturnType<typeof Bun.spawn>; base: number }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 40000);
    const proc = Bun.spawn([process.execPath, join(ROOT, "hw/sim/modbus-slave.ts"), "--listen", "127.0.0.1:0", "--ports", `${base}-${base + DEVICES - 1}`, "--model", "bench"], { stdout: "pipe", stderr: "pipe" });
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
    const first = await Promise.race([reader.read(), proc.exited.then(() => null)]);
    if (first && !first.done && new TextDecoder().decode(first.value).includes("ready")) return { proc, base };
    proc.kill();
  }
  throw new Error("could not start the simulated slaves");
}

function procCpuMs(pid: number): number {
  try {
    const f = require("node:fs").readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;     // utime + stime in clock ticks (100 Hz)
  } catch { return NaN; }
}

const { proc, base } = await startSlaves();
const dir = mkdtempSync(join(tmpdir(), "bench-bridge-"));
const { db } = openStore(dir);
const outbox = new Outbox(db, { maxBytes: 2 ** 40 });
let points = 0;
const cfg = validateConfig({ bridge: { modbus: { devices: Array.from({ length: DEVICES }, (_, i) => ({
  name: `dev${i}`, tcp: `127.0.0.1:${base + i}`, unit: 1, pollMs: POLL, timeoutMs: 2000, reportEveryMs: 0, tags: tagsFor(TAGS),
})) } } });
if (!cfg.ok) throw new Error(JSON.stringify(cfg.errors));
const bridge = new Bridge(cfg.config.bridge, {
  clock: new SystemClock(), log: new LogHub(Date.now, () => {}).for("bridge"),
  addPoints: (d, p, prio) => { outbox.addPoints(d, p, prio); points += p.length; },
  onDown: (e) => console.error("down", e), onUp: () => {},
});
const blocksPerCycle = [...bridge.pollers.values()].reduce((s, p) => s + p.blocks.length, 0);

bridge.start();
await Bun.sleep(3000);                                          // warm-up: connections, first full report
const reqs0 = [...bridge.pollers.values()].reduce((s, p) => s + p.stats.requests, 0);
const cycles0 = [...bridge.pollers.values()].reduce((s, p) => s + p.stats.cycles, 0);
const points0 = points, cpu0 = process.cpuUsage(), self0 = procCpuMs(process.pid), slave0 = procCpuMs(proc.pid!), t0 = performance.now();
let rssMax = 0;
const rssTimer = setInterval(() => { rssMax = Math.max(rssMax, process.memoryUsage().rss); }, 250);
await Bun.sleep(SECONDS * 1000);
const wall = performance.now() - t0;
clearInterval(rssTimer);
const cpu = process.cpuUsage(cpu0);
const reqs = [...bridge.pollers.values()].reduce((s, p) => s + p.stats.requests, 0) - reqs0;
const cycles = [...bridge.pollers.values()].reduce((s, p) => s + p.stats.cycles, 0) - cycles0;
const states = [...bridge.pollers.values()].reduce((m, p) => ({ ...m, [p.state]: (m[p.state] ?? 0) + 1 }), {} as Record<string, number>);
const slaveCpu = (procCpuMs(proc.pid!) - slave0) / wall * 100;
const selfCpu = (procCpuMs(process.pid) - self0) / wall * 100;
bridge.stop();
proc.kill();
const rows: [string, string][] = [
  ["devices × tags", `${DEVICES} × ${TAGS} at ${POLL} ms`],
  ["poll cycles (all devices)", `${cycles} in ${(wall / 1000).toFixed(1)} s (${(cycles / (wall / 1000)).toFixed(1)}/s)`],
  ["points into the outbox", `${((points - points0) / (wall / 1000)).toFixed(0)} /s`],
  ["requests per device cycle", `${(reqs / Math.max(1, cycles)).toFixed(2)} (coalesced minimum ${(blocksPerCycle / DEVICES).toFixed(2)}; one per tag would be ${TAGS})`],
  ["requests per full poll cycle", `${(reqs / Math.max(1, cycles) * DEVICES).toFixed(0)} vs ${DEVICES * TAGS} one-per-tag`],
  ["gateway CPU", `${(((cpu.user + cpu.system) / 1000) / wall * 100).toFixed(1)} % of one core (user ${(cpu.user / 1000 / wall * 100).toFixed(1)}, system ${(cpu.system / 1000 / wall * 100).toFixed(1)})`],
  ["gateway CPU per /proc", `${selfCpu.toFixed(1)} % (cross-check)`],
  ["gateway RSS (max)", `${(rssMax / 2 ** 20).toFixed(0)} MiB`],
  ["simulated slaves CPU (child)", `${slaveCpu.toFixed(1)} % of one core`],
  ["device states at end", JSON.stringify(states)],
];
const w = Math.max(...rows.map((r) => r[0].length));
console.log(`\nBridge benchmark (${new Date().toISOString()}, bun ${Bun.version}, ${navigator.hardwareConcurrency} cores)`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
db.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
