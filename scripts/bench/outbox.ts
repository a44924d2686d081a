// Outbox benchmark: points/s enqueued (beside a raw bun:sqlite insert loop as the reference),
// points/s written and acknowledged end to end through a local mosquitto, and the idle RSS and
// time-to-healthy of `gateway run` on the sim board. Prints figures; asserts nothing.
//   bun scripts/bench/outbox.ts [--points 200000]
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Gateway } from "../../app/gateway.ts";
import { validateConfig } from "../../app/config/validate.ts";
import { LogHub } from "../../app/core/logger.ts";
import { openStore } from "../../app/store/db.ts";
import { Outbox, type Point } from "../../app/store/outbox.ts";
import { boards } from "../../hw/boards/index.ts";
import { Mosquitto } from "../../test/helpers/mosquitto.ts";
import { GatewayProcess } from "../../test/helpers/gateway-process.ts";
import { freePort } from "../../test/helpers/ports.ts";
import { waitFor } from "../../test/helpers/wait.ts";

const arg = (name: string, def: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : def; };
const N = arg("points", 200_000);
const BATCH = 100;   // points per addPoints call, as a poller writing one device's tags would
const rows: [string, string][] = [];
const tmp = () => mkdtempSync(join(tmpdir(), "bench-"));
const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString("en-US")} points/s`;

function points(i: number): Point[] {
  return Array.from({ length: BATCH }, (_, k) => ({ tag: `t${k}`, v: i + k * 0.5, ts: 1_700_000_000_000 + i }));
}

// 1. Reference: a raw bun:sqlite loop inserting the same JSON rows, same WAL settings, same batching.
{
  const db = new Database(join(tmp(), "raw.db"));
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, prio INTEGER, kind TEXT, topic TEXT, body TEXT, bytes INTEGER, msg INTEGER)");
  const ins = db.query("INSERT INTO t (prio, kind, topic, body, bytes) VALUES (?, ?, ?, ?, ?)");
  const tx = db.transaction((ps: Point[]) => { for (const p of ps) { const b = JSON.stringify({ tag: p.tag, v: p.v, ts: p.ts, q: "good" }); ins.run(1, "point", "meter", b, b.length); } });
  const t0 = performance.now();
  for (let i = 0; i < N; i += BATCH) tx(points(i));
  rows.push(["raw bun:sqlite insert loop (reference)", rate(N, performance.now() - t0)]);
  db.close();
}

// 2. Outbox enqueue (the same work plus priority, byte accounting and the bound).
{
  const { db } = openStore(tmp());
  const ob = new Outbox(db, { maxBytes: 1 << 30 });
  const t0 = performance.now();
  for (let i = 0; i < N; i += BATCH) ob.addPoints("meter", points(i), "normal");
  rows.push(["outbox enqueue", rate(N, performance.now() - t0)]);
  db.close();
}

// 3. End to end: enqueue N while the broker is up; time until the broker acknowledged the last.
{
  const broker = await new Mosquitto().start();
  const v = validateConfig({ gateway: { id: "gw-bench" }, web: { listen: `127.0.0.1:${await freePort()}` }, telemetry: { selfInterval: 0 }, sip: { enabled: false }, uplink: { mqtt: { url: broker.url, batchPoints: 500, maxInflight: 64 } } });
  if (!v.ok) throw new Error("config");
  const gw = new Gateway({ config: v.config, configPath: null, dataDir: tmp(), board: boards.sim, logHub: new LogHub(Date.now, () => {}) });
  await gw.start();
  await waitFor("connected", () => gw.uplink.status.state === "connected");
  const t0 = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    gw.outbox.addPoints("meter", points(i), "normal");
    if (i % 5000 === 0) await Bun.sleep(0);   // let acknowledgements in, as a real poller would
  }
  await waitFor("all acknowledged", () => gw.outbox.stats().rows <= 1, 300_000, 5);
  const ms = performance.now() - t0;
  rows.push([`end to end: enqueue → PUBACK via mosquitto (batch 500, 64 in flight)`, rate(N, ms)]);
  await gw.stop();
  await broker.stop();
}

// 4. `gateway run` on the sim board: time from spawn to a healthy /api/health, idle RSS after 5 s.
{
  const gw = new GatewayProcess({ config: { sim: { counter: { rateHz: 1 } }, uplink: { mqtt: { url: "mqtt://127.0.0.1:1" } } } });
  const t0 = performance.now();
  await gw.start(false);
  await waitFor("healthy", async () => (await fetch(`${gw.base}/api/health`).catch(() => null))?.status === 200, 20_000, 5);
  rows.push(["gateway run (sim board): start to healthy", `${Math.round(performance.now() - t0)} ms`]);
  await Bun.sleep(5000);
  const status = readFileSync(`/proc/${gw.proc!.pid}/status`, "utf8");
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
  rows.push(["gateway run (sim board): idle RSS", `${(rss / 1024).toFixed(1)} MB`]);
  await gw.kill("SIGTERM");
}

const w = Math.max(...rows.map((r) => r[0].length));
console.log(`outbox benchmark, ${N.toLocaleString("en-US")} points, ${navigator.hardwareConcurrency} cores, bun ${Bun.version}`);
for (const [k, v2] of rows) console.log(`${k.padEnd(w)}  ${v2}`);
