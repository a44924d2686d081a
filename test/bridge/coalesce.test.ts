import { describe, expect, test } from "bun:test";
import { coalesce, split, type Span } from "../../app/bridge/modbus/coalesce.ts";

const S = (start: number, width = 1, area: Span["area"] = "holding", id = start): Span => ({ area, start, width, id });

/** Fewest blocks by exhaustive search (small cases): the optimum the greedy must match. */
function optimum(spans: Span[], limit: number, maxGap: number): number {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const best = new Map<string, number>();
  const go = (left: Span[]): number => {
    if (!left.length) return 0;
    const key = left.map((s) => s.id).join(",");
    if (best.has(key)) return best.get(key)!;
    let min = Infinity;
    // A block starts at some tag's start and takes a subset: try every start, take all that fit and
    // keep the gap rule (covering more never hurts once the start is fixed).
    const s0 = left[0].start;
    const take = left.filter((s) => s.start + s.width - s0 <= limit);
    let end = s0, ok: Span[] = [];
    for (const s of take) { if (s.start - end > maxGap && ok.length) break; ok.push(s); end = Math.max(end, s.start + s.width); }
    min = 1 + go(left.filter((s) => !ok.includes(s)));
    best.set(key, min);
    return min;
  };
  return go(sorted);
}

describe("coalesce", () => {
  test("adjacent tags make one read; the 125-register limit splits", () => {
    const spans = Array.from({ length: 100 }, (_, i) => S(i * 2, 2));
    const blocks = coalesce(spans, { registers: 0, bits: 0 });
    expect(blocks.map((b) => [b.start, b.count])).toEqual([[0, 124], [124, 76]]);
  });

  test("small gaps are bridged when cheaper, large ones are not", () => {
    const blocks = coalesce([S(0), S(10), S(100)], { registers: 20, bits: 0 });
    expect(blocks.map((b) => [b.start, b.count])).toEqual([[0, 11], [100, 1]]);
  });

  test("areas are never mixed; bits allow 2000 per read", () => {
    const spans = [S(0, 1, "coil", 1), S(1999, 1, "coil", 2), S(2000, 1, "coil", 3), S(0, 1, "discrete", 4), S(0, 1, "input", 5)];
    const blocks = coalesce(spans, { registers: 50, bits: 5000 });
    expect(blocks.map((b) => [b.area, b.start, b.count])).toEqual([["coil", 0, 2000], ["coil", 2000, 1], ["discrete", 0, 1], ["input", 0, 1]]);
  });

  test("no tag is split across reads, every tag is in exactly one block", () => {
    const spans = [S(0, 4, "holding", 1), S(120, 4, "holding", 2), S(123, 1, "holding", 3), S(124, 2, "holding", 4)];
    const blocks = coalesce(spans, { registers: 200, bits: 0 });
    for (const b of blocks) { expect(b.count).toBeLessThanOrEqual(125); }
    expect(blocks.flatMap((b) => b.ids).sort()).toEqual([1, 2, 3, 4]);
    for (const b of blocks) for (const id of b.ids) {
      const s = spans.find((x) => x.id === id)!;
      expect(s.start >= b.start && s.start + s.width <= b.start + b.count).toBe(true);
    }
  });

  test("greedy reaches the fewest reads (random cases against exhaustive search)", () => {
    let seed = 7;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    for (let round = 0; round < 200; round++) {
      const spans: Span[] = [];
      const n = 1 + rnd(9);
      for (let i = 0; i < n; i++) spans.push(S(rnd(400), [1, 2, 4, 10][rnd(4)], "holding", i));
      const gap = rnd(60);
      expect(coalesce(spans, { registers: gap, bits: 0 }).length).toBe(optimum(spans, 125, gap));
    }
  });

  test("a refused block splits into runs, then single tags", () => {
    const spans = new Map([[1, S(0, 1, "holding", 1)], [2, S(1, 1, "holding", 2)], [3, S(10, 1, "holding", 3)]]);
    const [b] = coalesce([...spans.values()], { registers: 50, bits: 0 });
    const parts = split(b, spans);
    expect(parts.map((p) => [p.start, p.count])).toEqual([[0, 2], [10, 1]]);
    expect(split(parts[0], spans).map((p) => [p.start, p.count])).toEqual([[0, 1], [1, 1]]);
  });
});
