// Where completed non-INVITE transactions keep their final response for Timer J (RFC 3261 17.2.2).
// At 2,000 registrations/s about 130,000 of them linger for 32 s; one small Uint8Array each made the
// garbage collector trace and copy 130,000 objects and ~60 MB of heap over and over (with Bun --smol,
// 42 % of a core at 2,000/s instead of 30 %, and p99 20 ms instead of 8). Here the bytes are copied
// into large shared chunks instead (a bump allocator): a transaction keeps (chunk, offset, length), and
// a chunk is freed by the collector when the last transaction in it has ended. Transactions linger in
// completion order for the same time, so chunks empty in order too.

/** Bytes per chunk: a few hundred responses each. */
export const CHUNK_BYTES = 256 * 1024;
/** Larger messages keep their own array (rare: a response with a big body). */
const OWN_ABOVE = CHUNK_BYTES / 8;

export interface Stored { chunk: Uint8Array; offset: number; length: number }

export class ByteArena {
  private chunk = new Uint8Array(CHUNK_BYTES);
  private used = 0;

  /** Copies bytes in; `at.chunk/offset/length` say where (at is overwritten: no allocation per call). */
  put(bytes: Uint8Array, at: Stored): void {
    const n = bytes.length;
    if (n > OWN_ABOVE) { at.chunk = bytes; at.offset = 0; at.length = n; return; }
    if (this.used + n > CHUNK_BYTES) { this.chunk = new Uint8Array(CHUNK_BYTES); this.used = 0; }
    this.chunk.set(bytes, this.used);
    at.chunk = this.chunk; at.offset = this.used; at.length = n;
    this.used += n;
  }
}
