#!/usr/bin/env bun
// Simulated GB/T 28181 cameras for people and benchmarks (see README "SIP / GB/T 28181").
//   bun scripts/sim-devices/main.ts --count 100 --server 127.0.0.1:5060 --password 12345678
// Every camera registers with digest auth, sends keepalives, answers Catalog and DeviceInfo queries.
// --silent-after S --silent-count N   N cameras stop sending anything after S seconds (→ offline)
// --unregister-after S                every camera unregisters (Expires: 0) after S seconds, then exit
// --duration S                        exit after S seconds (default: run until Ctrl-C, then unregister)
import { parseArgs } from "node:util";
import { Fleet } from "./fleet.ts";

const { values: a } = parseArgs({
  options: {
    count: { type: "string", default: "10" },
    server: { type: "string", default: "127.0.0.1:5060" },
    bind: { type: "string", default: "127.0.0.1" },
    sockets: { type: "string" },
    prefix: { type: "string", default: "34020000001320" },
    start: { type: "string", default: "1" },
    password: { type: "string", default: "" },
    username: { type: "string" },
    domain: { type: "string", default: "3402000000" },
    "server-id": { type: "string", default: "34020000002000000001" },
    keepalive: { type: "string", default: "60" },
    expires: { type: "string", default: "3600" },
    channels: { type: "string", default: "4" },
    "per-packet": { type: "string", default: "2" },
    ramp: { type: "string", default: "200" },
    "silent-after": { type: "string" },
    "silent-count": { type: "string", default: "1" },
    "unregister-after": { type: "string" },
    duration: { type: "string" },
    quiet: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (a.help) {
  console.log(`usage: bun scripts/sim-devices/main.ts [--count N] [--server host:port] [--password P] [--keepalive S] [--expires S]
       [--channels N] [--per-packet N] [--ramp PER_SEC] [--sockets N] [--prefix DIGITS] [--start N] [--username U]
       [--silent-after S --silent-count N] [--unregister-after S] [--duration S] [--quiet]`);
  process.exit(0);
}

const [host, port] = [a.server!.slice(0, a.server!.lastIndexOf(":")), Number(a.server!.slice(a.server!.lastIndexOf(":") + 1))];
const fleet = await new Fleet({
  count: Number(a.count), server: { host, port }, bind: a.bind, sockets: a.sockets ? Number(a.sockets) : undefined,
  prefix: a.prefix, start: Number(a.start), password: a.password, username: a.username, domain: a.domain, serverId: a["server-id"],
  keepalive: Number(a.keepalive), expires: Number(a.expires), channels: Number(a.channels), perPacket: Number(a["per-packet"]), ramp: Number(a.ramp),
}).open();

const say = (s: string) => { if (!a.quiet) console.log(`${new Date().toISOString()} ${s}`); };
say(`${fleet.cameras.length} cameras ${fleet.cameras[0]?.id}… registering with ${a.server} at ${a.ramp}/s`);
const stats = () => `states ${JSON.stringify(fleet.counts())} register ${JSON.stringify(fleet.stats.registerStatus)} keepalives ok ${fleet.stats.keepalivesOk} failed ${fleet.stats.keepalivesFailed} queries ${fleet.stats.queries} retransmits ${fleet.stats.retransmits} timeouts ${fleet.stats.timeouts}`;
const ticker = setInterval(() => say(stats()), 5000);

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  clearInterval(ticker);
  say("unregistering");
  await Promise.all(fleet.cameras.filter((c) => c.state === "registered").map((c) => c.unregister()));
  say(stats());
  fleet.close();
  process.exit(code);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());

const result = await fleet.registerAll();
say(`registered: ${JSON.stringify(result)}`);

if (a["silent-after"]) setTimeout(() => {
  const n = Number(a["silent-count"]);
  const victims = fleet.cameras.slice(0, n);
  for (const c of victims) c.silence();
  say(`${victims.length} camera(s) went silent: ${victims.map((c) => c.id).join(" ")}`);
}, Number(a["silent-after"]) * 1000);
if (a["unregister-after"]) setTimeout(() => void stop(), Number(a["unregister-after"]) * 1000);
if (a.duration) setTimeout(() => { say(stats()); fleet.close(); process.exit(0); }, Number(a.duration) * 1000);
