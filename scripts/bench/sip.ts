#!/usr/bin/env bun
// SIP registrar benchmark (issue 3 "Measure"): the same sipp load against the gateway and against
// Kamailio (2 children, in-memory usrloc, pv_www_authenticate), side by side, then 10,000 simulated
// GB/T 28181 cameras with 60 s keepalives held by each. Prints a table. Never run by `make test`.
//   bun scripts/bench/sip.ts [--rounds 3 (0: cameras only)] [--overload-seconds 10] [--rate 2000] [--rate-seconds 10]
//                            [--cameras 10000] [--camera-seconds 60] [--only gateway|kamailio] [--skip-cameras]
//                            [--bun-flags=--smol (default; empty for the default heap)] [--gateway-stderr FILE]
// Installs sip-tester and kamailio (Debian) when missing. Figures depend on the machine and on what
// else runs on it: sipp is single-threaded and shares the cores with the server under test. Run-to-run
// spread on a shared VM is larger than the differences of interest, so the registration phases run in
// `--rounds` rounds, the two servers alternating (which one goes first swaps every round), and the
// table gives the median with the range; the overload line also says in how many rounds the gateway
// did at least as well as Kamailio in the same round.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createServer } from "node:net";
import { createSocket } from "node:dgram";

const ROOT = resolve(import.meta.dir, "../..");
const HERE = join(import.meta.dir, "sip");
const PASSWORD = "bench-pw";

const { values: a } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    "overload-seconds": { type: "string", default: "10" },
    rate: { type: "string", default: "2000" },
    "rate-seconds": { type: "string", default: "10" },
    cameras: { type: "string", default: "10000" },
    "camera-seconds": { type: "string", default: "60" },
    only: { type: "string" },
    "skip-cameras": { type: "boolean", default: false },
    /** Flags for bun when it runs the gateway: "--smol" as the executable and `make run` ship it
     *  (firmware/compile.ts EXEC_ARGV); `--bun-flags=` for Bun's default heap. */
    "bun-flags": { type: "string", default: "--smol" },
    /** Where the gateway's stderr goes (for GC logs such as BUN_JSC_logGC=1), default discarded. */
    "gateway-stderr": { type: "string" },
  },
});

// ── set-up ──

function ensurePackages(): void {
  const need: string[] = [];
  if (Bun.spawnSync(["sh", "-c", "command -v sipp"]).exitCode !== 0) need.push("sip-tester");
  if (Bun.spawnSync(["sh", "-c", "command -v kamailio"]).exitCode !== 0) need.push("kamailio");
  if (!need.length) return;
  console.error(`installing ${need.join(" ")} ...`);
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  Bun.spawnSync([...sudo, "apt-get", "update", "-qq"], { stdout: "inherit", stderr: "inherit" });
  const r = Bun.spawnSync([...sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", ...need], { stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`apt-get install ${need.join(" ")} failed`);
}

async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((res, rej) => { const s = createServer(); s.once("error", rej); s.listen(0, "127.0.0.1", () => { const p = (s.address() as any).port; s.close(() => res(p)); }); });
    const ok = await new Promise<boolean>((res) => { const u = createSocket("udp4"); u.once("error", () => { u.close(); res(false); }); u.bind(port, "127.0.0.1", () => u.close(() => res(true))); });
    if (ok) return port;
  }
}

async function waitUntil(what: string, fn: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) { if (Date.now() > end) throw new Error(`timed out waiting for ${what}`); await Bun.sleep(50); }
}

function udpAnswers(port: number): Promise<boolean> {
  // An OPTIONS ping: any answer means the SIP server is up.
  return new Promise((res) => {
    const s = createSocket("udp4");
    const t = setTimeout(() => { s.close(); res(false); }, 300);
    s.on("message", () => { clearTimeout(t); s.close(); res(true); });
    s.bind(0, "127.0.0.1", () => {
      const lp = (s.address() as any).port;
      s.send(`OPTIONS sip:ping@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${lp};rport;branch=z9hG4bK${Math.random().toString(36).slice(2)}\r\nFrom: <sip:b@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: ${Math.random()}@b\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`, port, "127.0.0.1");
    });
  });
}

interface Server { name: string; port: number; pids: () => number[]; stop: () => Promise<void> }

async function startGateway(dir: string): Promise<Server> {
  const port = await freePort();
  const web = await freePort();
  const data = mkdtempSync(join(dir, "gw-data-"));
  const cfg = join(dir, `gateway-${port}.yaml`);
  // The keys a benchmark raises (README "sip"): no queries after REGISTER, no per-source limit (sipp
  // sends everything from one address), logs at warn.
  writeFileSync(cfg, JSON.stringify({
    web: { listen: `127.0.0.1:${web}` },
    log: { level: "warn" },
    uplink: { mqtt: { url: "mqtt://127.0.0.1:1" } },
    sip: { udp: `127.0.0.1:${port}`, tcp: `127.0.0.1:${port}`, rateLimit: { perSecond: 0 }, gb28181: { password: PASSWORD, queryOnRegister: false, ban: { maxFailures: 0 } } },
  }));
  const flags = (a["bun-flags"] ?? "").split(/\s+/).filter(Boolean);
  const proc = Bun.spawn([process.execPath, ...flags, join(ROOT, "app/main.ts"), "run", "--config", cfg, "--data", data], { cwd: dir, stdout: "ignore", stderr: a["gateway-stderr"] ? Bun.file(a["gateway-stderr"]) : "ignore" });
  await waitUntil("gateway SIP", () => udpAnswers(port), 20_000);
  return { name: "gateway", port, pids: () => [proc.pid], stop: async () => { proc.kill("SIGTERM"); await proc.exited; } };
}

async function startKamailio(dir: string): Promise<Server> {
  const port = await freePort();
  const cfg = join(dir, `kamailio-${port}.cfg`);
  writeFileSync(cfg, readFileSync(join(HERE, "kamailio.cfg"), "utf8").replaceAll("__PORT__", String(port)).replaceAll("__PASSWORD__", PASSWORD));
  const proc = Bun.spawn(["kamailio", "-f", cfg, "-DD", "-E", "-m", "128", "-M", "16"], { cwd: dir, stdout: "ignore", stderr: "ignore" });
  await waitUntil("kamailio", () => udpAnswers(port), 20_000);
  // -DD: the main process stays in the foreground; its children are the workers.
  const pids = () => [proc.pid, ...children(proc.pid)];
  return { name: "kamailio", port, pids, stop: async () => { proc.kill("SIGTERM"); await proc.exited; } };
}

function children(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try { const st = readFileSync(`/proc/${d}/stat`, "utf8"); if (Number(st.slice(st.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(d)); } catch { /* gone */ }
  }
  return out;
}

// ── measures ──

const TICK = 100; // USER_HZ
function cpuTicks(pids: number[]): number {
  let t = 0;
  for (const p of pids) { try { const f = readFileSync(`/proc/${p}/stat`, "utf8").slice(readFileSync(`/proc/${p}/stat`, "utf8").lastIndexOf(")") + 2).split(" "); t += Number(f[11]) + Number(f[12]); } catch { /* gone */ } }
  return t;
}
/** Proportional set size (shared pages split between processes), in MB; RSS for one process. */
function memMb(pids: number[], kind: "Rss" | "Pss"): number {
  let kb = 0;
  for (const p of pids) { try { kb += Number(new RegExp(`^${kind}:\\s+(\\d+)`, "m").exec(readFileSync(`/proc/${p}/smaps_rollup`, "utf8"))?.[1] ?? 0); } catch { /* gone */ } }
  return kb / 1024;
}

interface SippResult { ok: number; failed: number; rtts: number[] }

async function runSipp(dir: string, port: number, args: string[]): Promise<SippResult> {
  const work = mkdtempSync(join(dir, "sipp-"));
  const p = Bun.spawn(["sipp", `127.0.0.1:${port}`, "-sf", join(HERE, "register.xml"), "-inf", join(dir, "users.csv"),
    "-au", "bench", "-ap", PASSWORD, "-i", "127.0.0.1", "-nostdin", "-trace_rtt", "-rtt_freq", "100", "-max_recv_loops", "10000", "-max_sched_loops", "10000", ...args],
    { cwd: work, stdout: "pipe", stderr: "pipe" });
  const out = await new Response(p.stdout).text();
  await p.exited;
  const cum = (label: string) => { const m = new RegExp(`${label}\\s*\\|[^|]*\\|\\s*(\\S+)`).exec(out); return m ? m[1] : "0"; };
  const rtts: number[] = [];
  for (const f of readdirSync(work).filter((x) => x.endsWith("_rtt.csv"))) {
    for (const line of readFileSync(join(work, f), "utf8").split("\n").slice(1)) {
      const v = Number(line.split(";")[1]);
      if (Number.isFinite(v) && line.trim()) rtts.push(v);
    }
  }
  return { ok: Number(cum("Successful call")), failed: Number(cum("Failed call")), rtts };
}

function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function cameras(dir: string, srv: Server, count: number, seconds: number) {
  const sim = Bun.spawn([process.execPath, join(ROOT, "scripts/sim-devices/main.ts"), "--count", String(count), "--server", `127.0.0.1:${srv.port}`,
    "--password", PASSWORD, "--keepalive", "60", "--expires", "3600", "--ramp", "1000", "--sockets", "200", "--channels", "1"], { cwd: dir, stdout: "pipe", stderr: "ignore" });
  let log = "";
  void (async () => { for await (const c of sim.stdout as ReadableStream<Uint8Array>) log += new TextDecoder().decode(c); })();
  await waitUntil("cameras registered", () => /registered: /.test(log), count * 3 + 60_000);
  const registered = /registered: (\{[^}]*\})/.exec(log)?.[1] ?? "?";
  const pids = srv.pids();
  const t0 = cpuTicks(pids), w0 = performance.now();
  // Memory read every second over the window and 15 s after it: the peak, and the value at its end.
  const kind = srv.name === "gateway" ? "Rss" : "Pss";
  let peak = 0;
  while (performance.now() - w0 < seconds * 1000) { peak = Math.max(peak, memMb(pids, kind)); await Bun.sleep(1000); }
  const cpu = ((cpuTicks(pids) - t0) / TICK) / ((performance.now() - w0) / 1000) * 100;
  const mem = memMb(pids, kind);
  // The first keepalive wave (the simulator registers 1,000 cameras a second, so their keepalives come
  // in a 10-s wave) ends ~10 s after the CPU window: keep reading the peak until then.
  for (let i = 0; i < 15; i++) { peak = Math.max(peak, memMb(pids, kind)); await Bun.sleep(1000); }
  const ka = /keepalives ok (\d+) failed (\d+)/g;
  sim.kill("SIGKILL");
  await sim.exited;
  let m: RegExpExecArray | null, last: RegExpExecArray | null = null;
  while ((m = ka.exec(log))) last = m;
  return { registered, cpu, mem, peak, keepalives: last ? `${last[1]} ok / ${last[2]} failed` : "n/a" };
}

// ── run ──

ensurePackages();
const dir = mkdtempSync(join(tmpdir(), "bench-sip-"));
const users = ["SEQUENTIAL"];
for (let i = 0; i < 10_000; i++) users.push(`3402000000132${String(i).padStart(7, "0")}`);
writeFileSync(join(dir, "users.csv"), users.join("\n") + "\n");

const targets = (a.only ? [a.only] : ["gateway", "kamailio"]) as ("gateway" | "kamailio")[];
const rows: Record<string, Record<string, string>> = {};
const overloadSec = Number(a["overload-seconds"]), rate = Number(a.rate), rateSec = Number(a["rate-seconds"]), rounds = Number(a.rounds);

/** One round of the registration phases against one server: numbers by row name. */
async function registrationRound(t: "gateway" | "kamailio"): Promise<Record<string, number>> {
  const m: Record<string, number> = {};
  const srv = t === "gateway" ? await startGateway(dir) : await startKamailio(dir);
  try {
    console.error(`${t}: overload (${overloadSec} s, 400 calls in flight) ...`);
    const w = performance.now();
    const over = await runSipp(dir, srv.port, ["-r", "100000", "-l", "400", "-timeout", `${overloadSec}s`, "-m", "10000000"]);
    // sipp's final screen shows the last period only; the run lasts the -timeout, so use the wall clock
    m["registrations/s at overload"] = over.ok / ((performance.now() - w) / 1000);
    m["  failed at overload"] = over.failed;
    console.error(`${t}: fixed ${rate}/s for ${rateSec} s ...`);
    const pids = srv.pids(); const c0 = cpuTicks(pids), w0 = performance.now();
    const fixed = await runSipp(dir, srv.port, ["-r", String(rate), "-m", String(rate * rateSec), "-l", String(rate * 2), "-timeout", `${rateSec + 30}s`]);
    // sipp reports whole milliseconds: "0" means under 1 ms
    m[`p50 ms at ${rate}/s`] = pct(fixed.rtts, 50);
    m[`p99 ms at ${rate}/s`] = pct(fixed.rtts, 99);
    m[`  % under 10 ms`] = (fixed.rtts.filter((x) => x < 10).length / Math.max(1, fixed.rtts.length)) * 100;
    m[`  failed at ${rate}/s`] = fixed.failed + (rate * rateSec - fixed.ok - fixed.failed);
    m[`  CPU % of one core at ${rate}/s`] = ((cpuTicks(pids) - c0) / TICK) / ((performance.now() - w0) / 1000) * 100;
  } finally { await srv.stop(); }
  return m;
}

const perRound: Record<string, Record<string, number>[]> = Object.fromEntries(targets.map((t) => [t, []]));
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? targets : [...targets].reverse();
  for (const t of order) { console.error(`round ${r + 1}/${rounds}`); perRound[t].push(await registrationRound(t)); }
}
const median = (xs: number[]) => pct(xs, 50);
const digits = (k: string) => (k.includes("%") ? (k.includes("under") ? 2 : 0) : 0);
for (const t of targets) {
  const col: Record<string, string> = (rows[t] = {});
  for (const k of Object.keys(perRound[t][0] ?? {})) {
    const xs = perRound[t].map((m) => m[k]);
    const f = (x: number) => x.toFixed(digits(k));
    col[k] = rounds > 1 ? `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})` : f(xs[0]);
  }
}
if (targets.length === 2 && rounds > 0) {
  const k = "registrations/s at overload";
  const ratios = perRound.gateway.map((g, i) => g[k] / perRound.kamailio[i][k]);
  rows.gateway["  gateway / kamailio, same round"] = `${ratios.map((x) => (x * 100).toFixed(0) + " %").join(", ")} (≥ 100 % in ${ratios.filter((x) => x >= 1).length} of ${rounds})`;
}

for (const t of targets) {
  const col = rows[t];
  if (!a["skip-cameras"]) {
    const srv2 = t === "gateway" ? await startGateway(dir) : await startKamailio(dir);
    try {
      const n = Number(a.cameras), s = Number(a["camera-seconds"]);
      console.error(`${t}: ${n} cameras, 60 s keepalives, measured over ${s} s ...`);
      const r = await cameras(dir, srv2, n, s);
      col[`${n} cameras: CPU % of one core`] = r.cpu.toFixed(1);
      col[`${n} cameras: memory MB, peak / end`] = `${r.peak.toFixed(0)} / ${r.mem.toFixed(0)} (${t === "gateway" ? "RSS" : "PSS, all processes"})`;
      col[`  registered / keepalives`] = `${r.registered} ${r.keepalives}`;
    } finally { await srv2.stop(); }
  }
}

const keys = [...new Set(Object.values(rows).flatMap((c) => Object.keys(c)))];
const w0 = Math.max(...keys.map((k) => k.length)) + 2;
const cols = Object.keys(rows);
const wc = Math.max(14, ...Object.values(rows).flatMap((c) => Object.values(c).map((v) => v.length))) + 2;
console.log(`\nSIP registrar benchmark — ${new Date().toISOString()}, ${navigator.hardwareConcurrency} cores (shared with sipp and anything else running)`);
if (rounds > 1) console.log(`registration rows: median (lowest–highest) of ${rounds} rounds, the servers alternating; ${overloadSec} s at overload, ${rateSec} s at ${rate}/s each`);
console.log("".padEnd(w0) + cols.map((c) => c.padEnd(wc)).join(""));
for (const k of keys) console.log(k.padEnd(w0) + cols.map((c) => (rows[c][k] ?? "").padEnd(wc)).join(""));
console.log(`\nsipp scenario: scripts/bench/sip/register.xml (REGISTER, 401, REGISTER with digest, 200; the time covers the whole exchange)`);
