// The memory pacer asks for a collection only after RSS grew by its step since the previous check,
// on the injected clock: nothing while memory is flat or falling.
import { expect, test } from "bun:test";
import { SimClock } from "../../app/core/clock.ts";
import { MemoryPacer } from "../../app/core/memory-pacer.ts";

test("collects after growth of a step within one interval, not while flat or falling", () => {
  const clock = new SimClock(0);
  let rss = 100e6;
  let collected = 0;
  const p = new MemoryPacer({ clock, rss: () => rss, collect: () => { collected++; }, intervalMs: 1000, stepBytes: 4e6, minGapMs: 0 });
  p.start();
  clock.advance(5000);
  expect(collected).toBe(0);                 // flat
  rss += 3e6; clock.advance(1000);
  expect(collected).toBe(0);                 // below the step
  rss += 5e6; clock.advance(1000);
  expect(collected).toBe(1);                 // grew by a step since the last check
  rss -= 20e6; clock.advance(3000);
  expect(collected).toBe(1);                 // falling
  rss += 4e6; clock.advance(999);
  expect(collected).toBe(1);                 // not before the interval
  clock.advance(1);
  expect(collected).toBe(2);
  expect(p.collections).toBe(2);
  p.stop();
  rss += 50e6; clock.advance(10_000);
  expect(collected).toBe(2);                 // stopped
});

test("at most one collection per minGapMs however fast memory grows", () => {
  const clock = new SimClock(0);
  let rss = 100e6;
  let collected = 0;
  const p = new MemoryPacer({ clock, rss: () => rss, collect: () => { collected++; }, intervalMs: 500, stepBytes: 1e6, minGapMs: 5000 });
  p.start();
  for (let i = 0; i < 20; i++) { rss += 2e6; clock.advance(500); } // grows every check for 10 s
  expect(collected).toBe(2);                 // at 0.5 s and at 5.5 s
  p.stop();
});
