import { describe, expect, test } from "bun:test";
import { Backoff } from "../../app/uplink/backoff.ts";
import { matches } from "../../app/uplink/mqtt.ts";

describe("reconnect backoff", () => {
  test("grows exponentially to the cap, with jitter, and resets after a connection", () => {
    const hi = new Backoff(1000, 60_000, () => 1);     // the top of each jitter range
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(() => hi.next())).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    hi.reset();
    expect(hi.next()).toBe(1000);
    const lo = new Backoff(1000, 60_000, () => 0);      // the bottom: never less than half the minimum
    expect([1, 2, 3].map(() => lo.next())).toEqual([500, 500, 500]);
    const mid = new Backoff(1000, 60_000, () => 0.5);
    mid.next(); mid.next();
    expect(mid.next()).toBe(Math.round(500 + 0.5 * (4000 - 500)));
  });

  test("topic filters", () => {
    expect(matches("cmd/+", "cmd/ping")).toBe(true);
    expect(matches("cmd/+", "cmd/ping/reply")).toBe(false);
    expect(matches("config/desired", "config/desired")).toBe(true);
    expect(matches("a/#", "a/b/c")).toBe(true);
    expect(matches("a/+/c", "a/b/d")).toBe(false);
  });
});
