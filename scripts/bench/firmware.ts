// Firmware figures for the README: executable sizes, build time, time from exec to a healthy
// /api/health natively (x64 executable) and under qemu-aarch64 -cpu cortex-a53 (arm64 executable),
// and idle RSS natively. Not part of `make test`. Run: bun scripts/bench/firmware.ts [--runs N]
// (builds dist/ first when missing). Figures depend on the machine and its load; say which.
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, freeUdpTcpPort } from "../../test/helpers/ports.ts";

const ROOT = join(import.meta.dir, "../..");
const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 3;
const QEMU = ["qemu-aarch64", "-cpu", "cortex-a53", "-L", "/usr/aarch64-linux-gnu"];
const arm = join(ROOT, "dist/gateway-linux-arm64");
const x64 = join(ROOT, "dist/gateway-linux-x64");

if (!existsSync(arm) || !existsSync(x64)) {
  const t0 = performance.now();
  const r = Bun.spawnSync([process.execPath, "firmware/build.ts"], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
  if (!r.success) process.exit(1);
  console.log(`build: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

/** Starts the executable on the sim board and returns ms until /api/health answered 200. */
async function timeToHealthy(cmd: string[], idleMs = 0): Promise<{ ms: number; rssKiB: number }> {
  const dir = mkdtempSync(join(tmpdir(), "gw-bench-"));
  const port = await freePort();
  const sipPort = await freeUdpTcpPort();
  writeFileSync(join(dir, "gateway.yaml"), JSON.stringify({
    web: { listen: `127.0.0.1:${port}` }, sip: { udp: `127.0.0.1:${sipPort}`, tcp: `127.0.0.1:${sipPort}` },
    uplink: { mqtt: { url: "mqtt://127.0.0.1:1" } }, health: { cpuMaxPercent: 100, memMaxPercent: 100, diskMaxPercent: 100 },
  }));
  const t0 = performance.now();
  const p = Bun.spawn([...cmd, "run", "--config", join(dir, "gateway.yaml"), "--data", join(dir, "data")], { cwd: dir, stdout: "ignore", stderr: "ignore" });
  try {
    for (;;) {
      if (p.exitCode !== null) throw new Error(`exited ${p.exitCode}`);
      const r = await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null);
      if (r?.status === 200) break;
      if (performance.now() - t0 > 120_000) throw new Error("not healthy within 120 s");
      await Bun.sleep(10);
    }
    const ms = performance.now() - t0;
    if (idleMs) await Bun.sleep(idleMs);
    return { ms, rssKiB: idleMs ? rssKiB(p.pid) : NaN };
  } finally { p.kill("SIGKILL"); await p.exited; }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"} (shared with other work: figures are indicative)`);
console.log(`executable size: arm64 ${(statSync(arm).size / 1048576).toFixed(1)} MiB, x64 ${(statSync(x64).size / 1048576).toFixed(1)} MiB`);
const native: number[] = [], emulated: number[] = [], rss: number[] = [];
for (let i = 0; i < runs; i++) {
  const n = await timeToHealthy([x64], 10_000);
  native.push(n.ms); rss.push(n.rssKiB);
  emulated.push((await timeToHealthy([...QEMU, arm])).ms);
}
console.log(`time to healthy, native x64: median ${median(native).toFixed(0)} ms (${native.map((x) => x.toFixed(0)).join(", ")})`);
console.log(`time to healthy, qemu cortex-a53: median ${(median(emulated) / 1000).toFixed(1)} s (${emulated.map((x) => (x / 1000).toFixed(1)).join(", ")})`);
console.log(`idle RSS after 10 s, native x64, no broker: median ${(median(rss) / 1024).toFixed(0)} MiB`);
