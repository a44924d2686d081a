// Energy benchmark: the reference box (hw/sim) on a simulated clock under three policies —
// fixed (everything on), thresholds (modes on battery % alone), adaptive (the gateway's policy) —
// through the same EnergyService/Scheduler/knob code the gateway runs (app/energy/simulate.ts).
//   bun scripts/bench/energy.ts --scenario rain7|mixed30 [--json] [--weather TRACE.csv]
// --weather replaces the scenario's weather by a recorded trace (lines `ISO-time,clear|cloudy|rain|factor`).
// Endurance = hours from the start until the first clock hour without a heartbeat; the simulation goes
// on past the scenario (same weather) until that happens or the cap (30 days), so a capped figure
// is a lower bound. ratio = adaptive endurance / fixed endurance.
import { SCENARIOS, simulate, type PolicyName, type PolicyResult, type Scenario } from "../../app/energy/simulate.ts";
import { traceWeatherFile } from "../../hw/sim/weather.ts";

const args = process.argv.slice(2);
const name = args[args.indexOf("--scenario") + 1];
const asJson = args.includes("--json");
let sc: Scenario | undefined = args.includes("--scenario") ? SCENARIOS[name] : undefined;
if (!sc) {
  console.error(`usage: bun scripts/bench/energy.ts --scenario ${Object.keys(SCENARIOS).join("|")} [--json] [--weather TRACE.csv]`);
  process.exit(2);
}
if (args.includes("--weather")) {
  const file = args[args.indexOf("--weather") + 1];
  try {
    const w = traceWeatherFile(file);
    sc = { ...sc, name: `${sc.name}+${file}`, weather: () => w };
  } catch (e) {
    console.error(`--weather ${file}: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  }
}

const policies: Record<PolicyName, PolicyResult> = {} as any;
for (const p of ["fixed", "thresholds", "adaptive"] as PolicyName[]) policies[p] = simulate(sc, p);
const ratio = Math.round((policies.adaptive.hours / Math.max(1, policies.fixed.hours)) * 100) / 100;

if (asJson) {
  console.log(JSON.stringify({ scenario: sc.name, policies, ratio }));
} else {
  console.log(`scenario ${sc.name}: ${sc.hours} h, battery ${sc.socPct}% at start, reference box (240 Wh, 60 W panel), simulated time`);
  for (const [p, r] of Object.entries(policies)) {
    const modes = Object.entries(r.modeHours).filter(([, h]) => h > 0).map(([m, h]) => `${m} ${h} h`).join(", ");
    console.log(`${p.padEnd(10)} endurance ${r.capped ? "≥" : ""}${r.hours} h (heartbeat every hour); heartbeat hours ${r.heartbeatHours}/${sc.hours}; modes: ${modes}; points ${r.points}; lowest SoC ${r.minSoc}%; mode changes ${r.modeChanges}`);
  }
  const gain = policies.thresholds.points ? Math.round((policies.adaptive.points / policies.thresholds.points - 1) * 1000) / 10 : 0;
  console.log(`data points adaptive vs thresholds: ${gain >= 0 ? "+" : ""}${gain}%`);
  console.log(`endurance ratio (adaptive/fixed): ${ratio}${policies.adaptive.capped ? " (lower bound: adaptive reached the cap)" : ""}`);
}
