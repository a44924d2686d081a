// Tags → the fewest read requests. The anchors' most common complaint is one request per tag; here
// the tags of a device are merged per area into blocks within the protocol limits (125 registers,
// 2000 bits per read: application spec 6.1-6.4), bridging a gap of unused addresses when reading
// it costs less than another request would.
//
// Fewest blocks: for each run of tags without a costly gap, a block starts at the lowest address not
// yet covered and takes every tag that ends within the limit; the next block starts at the lowest
// address left. Any plan needs a block holding that lowest tag, and no block holding it can start
// later, so starting exactly there covers at least as much: greedy is optimal (exchange argument).
import type { Area } from "../config.ts";
import { LIMITS } from "./codec.ts";

export interface Span { area: Area; start: number; width: number; id: number }
export interface Block { area: Area; start: number; count: number; ids: number[] }

export interface GapCost {
  /** Largest run of unused registers worth reading to save a request. */
  registers: number;
  /** Largest run of unused coils / discrete inputs worth reading to save a request. */
  bits: number;
}

/**
 * What a gap may cost before a second request is cheaper. A TCP request/response pair costs about
 * 100 bytes on the wire (MBAP + TCP/IP headers both ways) and a round trip; a register costs 2 bytes.
 * On a serial line a request costs about 25 character times (8-byte request, 5 bytes of response
 * overhead, two 3.5-character silences, the slave's turnaround).
 */
export const GAP_COST: Record<"tcp" | "rtu", GapCost> = {
  tcp: { registers: 50, bits: 800 },
  rtu: { registers: 12, bits: 192 },
};

export const isBitArea = (a: Area) => a === "coil" || a === "discrete";

export function coalesce(spans: Span[], gap: GapCost): Block[] {
  const out: Block[] = [];
  for (const area of ["coil", "discrete", "holding", "input"] as Area[]) {
    const bits = isBitArea(area);
    const limit = bits ? LIMITS.readBits : LIMITS.readRegisters;
    const maxGap = bits ? gap.bits : gap.registers;
    const mine = spans.filter((s) => s.area === area).sort((a, b) => a.start - b.start || b.width - a.width);
    // Runs separated by gaps too costly to read.
    const runs: Span[][] = [];
    let end = -Infinity;
    for (const s of mine) {
      if (s.start - end > maxGap || !runs.length) runs.push([]);
      runs[runs.length - 1].push(s);
      end = Math.max(end, s.start + s.width);
    }
    for (let rest of runs) {
      while (rest.length) {
        const start = rest[0].start;
        const take: Span[] = [], left: Span[] = [];
        for (const s of rest) (s.start + s.width - start <= limit ? take : left).push(s);
        const last = Math.max(...take.map((s) => s.start + s.width));
        out.push({ area, start, count: last - start, ids: take.map((s) => s.id) });
        rest = left;
      }
    }
  }
  return out;
}

/**
 * A block the device refused (exception 2 or 3: some address in it does not exist there) is split:
 * first into runs without bridged gaps, and a run without gaps into single tags, so one bad address
 * costs its own tag and not its neighbours.
 */
export function split(block: Block, spans: Map<number, Span>): Block[] {
  const mine = block.ids.map((id) => spans.get(id)!).filter(Boolean);
  if (mine.length <= 1) return [block];
  const noGaps = coalesce(mine, { registers: 0, bits: 0 });
  if (noGaps.length > 1) return noGaps;
  return mine.map((s) => ({ area: s.area, start: s.start, count: s.width, ids: [s.id] }));
}
