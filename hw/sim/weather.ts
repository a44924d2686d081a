// Weather for the simulated board: a factor on clear-sky output. Reference factors: rain = 10% of
// clear sky (the reference box), cloudy = 35% (overcast days give 10–40% of clear-sky
// yield in PV monitoring literature; we take a middle value), clear = 100%. A seeded day-by-day
// Markov chain gives repeatable mixed weather; a trace file gives recorded weather.
import { readFileSync } from "node:fs";

export type Sky = "clear" | "cloudy" | "rain";
export const SKY_FACTOR: Record<Sky, number> = { clear: 1, cloudy: 0.35, rain: 0.1 };

export interface Weather {
  /** Multiplier on clear-sky panel output at ts (0..1). */
  factor(ts: number): number;
  /** A label for ts (for charts and logs). */
  sky(ts: number): Sky | string;
}

export function constantWeather(sky: Sky): Weather {
  return { factor: () => SKY_FACTOR[sky], sky: () => sky };
}

/** mulberry32: a tiny seeded PRNG so a scenario is the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Daily transition probabilities: weather tends to persist for a few days. */
const TRANSITIONS: Record<Sky, [Sky, number][]> = {
  clear: [["clear", 0.6], ["cloudy", 0.25], ["rain", 0.15]],
  cloudy: [["clear", 0.35], ["cloudy", 0.35], ["rain", 0.3]],
  rain: [["clear", 0.25], ["cloudy", 0.3], ["rain", 0.45]],
};

/** Mixed weather, one sky per UTC day from `start`, drawn from a seeded Markov chain. */
export function markovWeather(seed: number, start: number, days: number, first: Sky = "clear"): Weather {
  const rnd = prng(seed);
  const skies: Sky[] = [first];
  for (let i = 1; i < days; i++) {
    const r = rnd();
    let acc = 0, next: Sky = "clear";
    for (const [s, p] of TRANSITIONS[skies[i - 1]]) { acc += p; if (r < acc) { next = s; break; } }
    skies.push(next);
  }
  const at = (ts: number) => skies[Math.min(skies.length - 1, Math.max(0, Math.floor((ts - start) / 86_400_000)))];
  return { factor: (ts) => SKY_FACTOR[at(ts)], sky: at };
}

/**
 * A recorded trace: CSV lines `ISO-time,sky-or-factor` (e.g. `2026-07-01T00:00Z,rain` or
 * `2026-07-01T06:00Z,0.42`), sorted; each line holds until the next. Lines starting with # are comments.
 */
export function traceWeather(text: string): Weather {
  const rows: { ts: number; f: number; label: string }[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [t, v] = line.split(",").map((s) => s.trim());
    const ts = Date.parse(t);
    const f = v in SKY_FACTOR ? SKY_FACTOR[v as Sky] : Number(v);
    if (!Number.isFinite(ts) || !Number.isFinite(f) || f < 0 || f > 1.5) throw new Error(`weather trace line ${i + 1}: expected "ISO-time,clear|cloudy|rain|factor", got "${line}"`);
    rows.push({ ts, f, label: v });
  }
  if (!rows.length) throw new Error("weather trace is empty");
  rows.sort((a, b) => a.ts - b.ts);
  const find = (ts: number) => {
    let lo = 0, hi = rows.length - 1;
    if (ts < rows[0].ts) return rows[0];
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (rows[mid].ts <= ts) lo = mid; else hi = mid - 1; }
    return rows[lo];
  };
  return { factor: (ts) => find(ts).f, sky: (ts) => find(ts).label };
}

export function traceWeatherFile(path: string): Weather { return traceWeather(readFileSync(path, "utf8")); }
