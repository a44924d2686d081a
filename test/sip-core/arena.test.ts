// ByteArena (app/sip/transaction/arena.ts): lingering responses copied into shared chunks must come
// back byte for byte, across chunk boundaries, and large ones must stay whole.
import { describe, expect, test } from "bun:test";
import { ByteArena, CHUNK_BYTES, type Stored } from "../../app/sip/transaction/arena.ts";

const view = (s: Stored) => s.chunk.subarray(s.offset, s.offset + s.length);
const msg = (i: number, n: number) => { const b = new Uint8Array(n); for (let j = 0; j < n; j++) b[j] = (i * 31 + j) & 255; return b; };

describe("ByteArena", () => {
  test("returns every message unchanged across many chunks, and later copies do not overwrite earlier ones", () => {
    const a = new ByteArena();
    const kept: { want: Uint8Array; at: Stored }[] = [];
    for (let i = 0; i < 3000; i++) {
      const want = msg(i, 200 + (i % 700));
      const at: Stored = { chunk: new Uint8Array(0), offset: 0, length: 0 };
      a.put(want, at);
      want.fill(0xee, 0, 1); // the caller's buffer is reused: the arena must hold a copy
      kept.push({ want: msg(i, 200 + (i % 700)), at });
    }
    expect(new Set(kept.map((k) => k.at.chunk)).size).toBeGreaterThan(3);
    for (const k of kept) expect(view(k.at)).toEqual(k.want);
  });

  test("a message larger than an eighth of a chunk keeps its own array; one that does not fit starts a new chunk", () => {
    const a = new ByteArena();
    const big = msg(1, CHUNK_BYTES / 8 + 1);
    const at: Stored = { chunk: new Uint8Array(0), offset: 0, length: 0 };
    a.put(big, at);
    expect(at.chunk).toBe(big);
    const s1: Stored = { chunk: new Uint8Array(0), offset: 0, length: 0 };
    const s2: Stored = { chunk: new Uint8Array(0), offset: 0, length: 0 };
    for (let i = 0; i < 9; i++) a.put(msg(i, CHUNK_BYTES / 8), i === 7 ? s1 : i === 8 ? s2 : { chunk: new Uint8Array(0), offset: 0, length: 0 });
    expect(s1.chunk).not.toBe(s2.chunk); // 8 eighths fill a chunk exactly; the ninth opens a new one
    expect(s2.offset).toBe(0);
    expect(view(s2)).toEqual(msg(8, CHUNK_BYTES / 8));
  });
});
