// Engine-only load figures (no registrar): parser throughput in-process, then sipp sending GB/T 28181
// keepalive MESSAGEs over UDP to an engine that answers 200, at a fixed rate, reporting sipp's response
// time distribution, the engine's CPU and RSS. Not part of `make test`. The machine may be shared:
// say so when quoting figures.
//   bun scripts/bench/sip-core.ts [rate=2000] [calls=30000] [udp|tcp]
import { join } from "node:path";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { SystemClock } from "../../app/core/clock.ts";
import { LogHub } from "../../app/core/logger.ts";
import { validateConfig } from "../../app/config/validate.ts";
import { SipEngine } from "../../app/sip/engine.ts";
import { parse, checkRequest } from "../../app/sip/message/index.ts";
import { freePort, freeUdpTcpPort } from "../../test/helpers/ports.ts";

const rate = Number(process.argv[2] ?? 2000);
const calls = Number(process.argv[3] ?? 30000);
const transport = process.argv[4] === "tcp" ? "tcp" : "udp";

// 1. Parser alone.
const sample = Buffer.from(`REGISTER sip:34020000002000000001@3402000000 SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1371463273\r\nFrom: <sip:34020000001320000001@3402000000>;tag=2043466181\r\nTo: <sip:34020000001320000001@3402000000>\r\nCall-ID: 1011047669\r\nCSeq: 2 REGISTER\r\nContact: <sip:34020000001320000001@192.168.1.64:5060>\r\nAuthorization: Digest username="34020000001320000001", realm="3402000000", nonce="9bd055d6f4ae5a0b", uri="sip:34020000002000000001@3402000000", response="b3a1d6b5c0c2d8d5cdd0fcfa9b0a8e55", algorithm=MD5\r\nMax-Forwards: 70\r\nUser-Agent: IP Camera\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n`);
let n = 0;
const t0 = performance.now();
while (performance.now() - t0 < 1000) { const r = parse(sample); if (r.ok && r.message.kind === "request") checkRequest(r.message); n++; }
console.log(`parse+validate of a digest REGISTER: ${n} messages/s on one core`);

// 2. Engine under sipp.
const port = await freeUdpTcpPort();
const v = validateConfig({ sip: { udp: `127.0.0.1:${port}`, tcp: `127.0.0.1:${port}`, rateLimit: { perSecond: 0 } } });
if (!v.ok) throw new Error(JSON.stringify(v.errors));
const engine = new SipEngine({ config: v.config.sip, clock: new SystemClock(), log: new LogHub(Date.now, () => {}).for("sip") });
engine.onRequest("MESSAGE", (_req, tx) => { tx.respond(200); });
await engine.start();
const dir = mkdtempSync(join(tmpdir(), "sipbench-"));
// sipp names its trace files after the scenario path: keep them in the temp dir.
copyFileSync(join(import.meta.dir, "sip-core", "message.xml"), join(dir, "message.xml"));
const cpu0 = process.cpuUsage();
const w0 = performance.now();
let peakRss = 0, peakTx = 0;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); peakTx = Math.max(peakTx, engine.stats().serverTransactions); }, 200);
const p = Bun.spawn(["sipp", "-sf", join(dir, "message.xml"), "-i", "127.0.0.1", "-p", String(await freePort()), "-r", String(rate), "-m", String(calls), "-l", String(rate * 2),
  ...(transport === "tcp" ? ["-t", "t1"] : []), "-nostdin", "-trace_rtt", "-rtt_freq", "1000", "-trace_stat", "-stf", join(dir, "stat.csv"), `127.0.0.1:${port}`], { cwd: dir, stdout: "ignore", stderr: "pipe" });
const code = await p.exited;
clearInterval(sampler);
const wall = (performance.now() - w0) / 1000;
const cpu = process.cpuUsage(cpu0);
const st = engine.stats();
Bun.gc(true);
const after = process.memoryUsage();
console.log(`after GC with ${st.serverTransactions} transactions still lingering (Timer J): RSS ${(after.rss / 1048576).toFixed(0)} MB, heap used ${(after.heapUsed / 1048576).toFixed(0)} MB`);
// Response times from the rtt file: one line per call, "Date_ms;response_time_ms;rtd_no" (whole ms).
const rttFile = readdirSync(dir).find((f) => f.endsWith("_rtt.csv"));
const rtts = rttFile ? readFileSync(join(dir, rttFile), "utf8").split("\n").slice(1).map((l) => Number(l.split(";")[1])).filter((x) => Number.isFinite(x)).sort((a, b) => a - b) : [];
const pct = (q: number) => rtts.length ? rtts[Math.min(rtts.length - 1, Math.floor(q * rtts.length))].toFixed(2) : "n/a";
console.log(`sipp exit ${code}; ${calls} MESSAGE at ${rate}/s over ${transport.toUpperCase()} in ${wall.toFixed(1)} s`);
console.log(`response time ms: p50 ${pct(0.5)} p99 ${pct(0.99)} max ${rtts.length ? rtts[rtts.length - 1].toFixed(2) : "n/a"} (${rtts.length} samples)`);
console.log(`engine CPU ${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(0)}% of one core; peak RSS ${(peakRss / 1048576).toFixed(0)} MB; peak live server transactions ${peakTx}`);
console.log(`engine stats: ${JSON.stringify(st)}`);
engine.stop();
process.exit(0);
