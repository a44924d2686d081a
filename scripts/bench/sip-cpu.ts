// JavaScript cost of one digest registration inside the gateway, without sockets: the whole gateway is
// built in-process (registrar, liveness, store, outbox), and the two REGISTERs of a registration are
// handed to the engine's receive path as datagrams; what it would send is captured instead. This is the
// part of scripts/bench/sip.ts that our code controls, measured without sipp and the kernel sharing the
// two cores, so a change to the per-message work shows up above the noise of a loaded VM.
//   bun [--smol] scripts/bench/sip-cpu.ts [--devices 10000] [--seconds 2] [--rounds 7]
// Prints each round and the fastest and median round: on a shared VM the fastest is the steadiest figure.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { validateConfig } from "../../app/config/validate.ts";
import { Gateway } from "../../app/gateway.ts";
import { boardByName } from "../../hw/boards/index.ts";
import { SipEngine } from "../../app/sip/engine.ts";

const { values: a } = parseArgs({ options: { devices: { type: "string", default: "10000" }, seconds: { type: "string", default: "2" }, rounds: { type: "string", default: "7" } } });
const DEVICES = Number(a.devices), SECONDS = Number(a.seconds), ROUNDS = Number(a.rounds);
const PASSWORD = "bench-pass";
const REALM = "3402000000";

const dir = mkdtempSync(join(tmpdir(), "sip-cpu-"));
const v = validateConfig({
  web: { listen: "127.0.0.1:0" }, log: { level: "warn" }, uplink: { mqtt: { url: "mqtt://127.0.0.1:1" } },
  sip: { udp: "127.0.0.1:0", tcp: "127.0.0.1:0", rateLimit: { perSecond: 0 }, gb28181: { password: PASSWORD, queryOnRegister: false, ban: { maxFailures: 0 } } },
});
if (!v.ok) throw new Error(JSON.stringify(v.errors));
const gw = new Gateway({ config: v.config, configPath: null, dataDir: dir, board: boardByName("sim")! });
await gw.start();
const engine = (gw.lifecycle as any).services.find((s: unknown) => s instanceof SipEngine) as SipEngine;
if (!engine) throw new Error("no SIP engine in the gateway");

// What the engine sends is captured here instead of going to a socket.
let last: Uint8Array | null = null;
let sent = 0;
(engine.transport as any).udp.send = (data: Uint8Array) => { last = data; sent++; return true; };
const receive = (engine as any).receive.bind(engine) as (d: Uint8Array, s: unknown) => void;

const md5 = (s: string) => new Bun.CryptoHasher("md5").update(s).digest("hex");
const HA1 = new Map<string, string>();
const src = { transport: "udp" as const, address: "127.0.0.1", port: 5999 };

let call = 0;
function register(id: string): void {
  call++;
  const base = (cseq: number, extra: string) => Buffer.from(
    `REGISTER sip:34020000002000000001@${REALM} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bK-${call}-${cseq}\r\n` +
    `From: <sip:${id}@${REALM}>;tag=${call}\r\nTo: <sip:${id}@${REALM}>\r\nCall-ID: ${call}-bench@127.0.0.1\r\nCSeq: ${cseq} REGISTER\r\n` +
    `Contact: <sip:${id}@127.0.0.1:5999>\r\nMax-Forwards: 70\r\nExpires: 3600\r\n${extra}Content-Length: 0\r\n\r\n`, "latin1");
  last = null;
  receive(base(1, ""), src);
  const challenge = last ? Buffer.from(last).toString("latin1") : "";
  const nonce = /nonce="([^"]+)"/.exec(challenge)?.[1];
  if (!nonce) throw new Error(`no challenge: ${challenge.slice(0, 200)}`);
  let ha1 = HA1.get(id);
  if (!ha1) HA1.set(id, ha1 = md5(`${id}:${REALM}:${PASSWORD}`));
  const uri = `sip:34020000002000000001@${REALM}`;
  const cnonce = "0a4f113b", nc = "00000001";
  const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${md5(`REGISTER:${uri}`)}`);
  last = null;
  receive(base(2, `Authorization: Digest username="${id}",realm="${REALM}",cnonce="${cnonce}",nc=${nc},qop=auth,uri="${uri}",nonce="${nonce}",response="${response}",algorithm=MD5\r\n`), src);
  const ok = last ? Buffer.from(last).toString("latin1", 0, 12) : "";
  if (ok !== "SIP/2.0 200 ") throw new Error(`registration of ${id} not accepted: ${last ? Buffer.from(last).toString("latin1").slice(0, 200) : "no answer"}`);
}

// The client side of the harness (building datagrams, its MD5s) is measured alone and subtracted.
function clientOnly(): number {
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 1000) {
    const id = `3402000000132${String(n % DEVICES).padStart(7, "0")}`;
    Buffer.from(`REGISTER ${id} x`.repeat(20), "latin1"); Buffer.from(`REGISTER ${id} y`.repeat(26), "latin1");
    md5(`${id}:${REALM}:x`); md5("a"); md5("b"); /nonce="([^"]+)"/.exec(`nonce="${n}"`);
    n++;
  }
  return 1000_000 / n;
}

const ids = Array.from({ length: DEVICES }, (_, i) => `3402000000132${String(i).padStart(7, "0")}`);
for (const id of ids) register(id); // warm-up: every device registered once (as in sipp's load, refreshes)
const client = clientOnly();
const rss0 = process.memoryUsage().rss;
const results: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  let n = 0;
  const cpu0 = process.cpuUsage(), t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    for (let i = 0; i < 100; i++) register(ids[(n + i) % DEVICES]);
    n += 100;
    await new Promise((r) => setImmediate(r)); // let batched writes (bindings, events) run as they do live
  }
  const cpu = process.cpuUsage(cpu0), wall = performance.now() - t0;
  const usPerReg = (cpu.user + cpu.system) / n - client;
  results.push(usPerReg);
  console.log(`round ${r + 1}: ${n} registrations in ${(wall / 1000).toFixed(1)} s; gateway CPU ${usPerReg.toFixed(1)} µs per registration (${Math.round(1e6 / usPerReg)}/s on one core), harness ${client.toFixed(1)} µs subtracted`);
}
results.sort((x, y) => x - y);
console.log(`fastest ${results[0].toFixed(1)}, median ${results[Math.floor(results.length / 2)].toFixed(1)} µs per registration (401 + 200, no socket I/O); RSS ${Math.round(rss0 / 1e6)} → ${Math.round(process.memoryUsage().rss / 1e6)} MB; ${sent} datagrams built`);
await gw.stop();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
