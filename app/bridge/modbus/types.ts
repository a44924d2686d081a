// Register contents ⇄ values, for every type in every byte and word order. This is where ThingsBoard
// and Neuron users meet "floats read as 2.4e-41": the orders are applied in one place, the same way
// for reading and writing.
//
// The wire carries each register high byte first (application spec 4.2). Devices still disagree:
//   byteOrder: big = AB in a register (standard), little = BA;
//   wordOrder: big = most significant register first, little = least significant first.
// So a float32 0x41200000 (10.0) is 4120 0000 (big/big, "ABCD"), 0000 4120 (big/little, "CDAB"),
// 2041 0000 (little/big, "BADC"), 0000 2041 (little/little, "DCBA"). Both reorderings are their own
// inverse and commute, so `canonical()` is used to decode and to encode.
import type { Area, TagType } from "../config.ts";

/** Made once: a TextEncoder/TextDecoder per value polled is native garbage every cycle. */
const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder("utf-8");

export type ByteOrder = "big" | "little";

export interface TypeSpec { type: TagType; byteOrder: ByteOrder; wordOrder: ByteOrder; length?: number; bit?: number }

/** Registers (or bits, for coils and discrete inputs) a tag occupies. */
export function widthOf(area: Area, t: { type: TagType; length?: number }): number {
  if (area === "coil" || area === "discrete") return 1;
  switch (t.type) {
    case "int32": case "uint32": case "float32": return 2;
    case "int64": case "uint64": case "float64": return 4;
    case "string": return Math.ceil((t.length ?? 2) / 2);
    default: return 1;
  }
}

/** Reorders `n` registers of wire bytes into big-endian "ABCD…" order (and back: it is an involution). */
export function canonical(bytes: Uint8Array, byteOrder: ByteOrder, wordOrder: ByteOrder, reverseWords = true): Uint8Array {
  const n = bytes.length >> 1;
  const out = new Uint8Array(bytes.length);
  for (let r = 0; r < n; r++) {
    const src = wordOrder === "little" && reverseWords ? n - 1 - r : r;
    const hi = bytes[src * 2], lo = bytes[src * 2 + 1];
    if (byteOrder === "little") { out[r * 2] = lo; out[r * 2 + 1] = hi; }
    else { out[r * 2] = hi; out[r * 2 + 1] = lo; }
  }
  return out;
}

export type Raw = number | bigint | boolean | string;

/** Decodes a register tag from its wire bytes (2 × width). */
export function decodeRegisters(bytes: Uint8Array, s: TypeSpec): Raw {
  // Strings are byte sequences: the byte order applies within each register, the word order never.
  const c = canonical(bytes, s.byteOrder, s.wordOrder, s.type !== "string");
  const dv = new DataView(c.buffer, c.byteOffset, c.byteLength);
  switch (s.type) {
    case "bool": return dv.getUint16(0) !== 0;
    case "bit": return ((dv.getUint16(0) >> (s.bit ?? 0)) & 1) === 1;
    case "int16": return dv.getInt16(0);
    case "uint16": return dv.getUint16(0);
    case "int32": return dv.getInt32(0);
    case "uint32": return dv.getUint32(0);
    case "float32": return shortestFloat32(dv.getFloat32(0));
    case "int64": return dv.getBigInt64(0);
    case "uint64": return dv.getBigUint64(0);
    case "float64": return dv.getFloat64(0);
    case "string": {
      const len = Math.min(s.length ?? c.length, c.length);
      let end = len;
      const nul = c.subarray(0, len).indexOf(0);
      if (nul >= 0) end = nul;
      return UTF8_DECODER.decode(c.subarray(0, end)).replace(/\s+$/, "");
    }
  }
}

/**
 * A float32 widened to a double carries digits the device never had (230.7 becomes 230.6999969482422).
 * This returns the shortest decimal that is the same float32, which is what the device meant.
 */
export function shortestFloat32(f: number): number {
  if (!Number.isFinite(f) || f === 0) return f;
  for (let p = 1; p < 9; p++) {
    const d = Number(f.toPrecision(p));
    if (Math.fround(d) === f) return d;
  }
  return f;
}

/** Encodes a raw value into wire bytes for the registers of a tag. The caller checked the range. */
export function encodeRegisters(raw: Raw, s: TypeSpec, width: number): Uint8Array {
  const c = new Uint8Array(width * 2);
  const dv = new DataView(c.buffer);
  switch (s.type) {
    case "bool": dv.setUint16(0, raw ? 1 : 0); break;
    case "bit": throw new Error("a bit is written by read-modify-write of its register");
    case "int16": dv.setInt16(0, Number(raw)); break;
    case "uint16": dv.setUint16(0, Number(raw)); break;
    case "int32": dv.setInt32(0, Number(raw)); break;
    case "uint32": dv.setUint32(0, Number(raw)); break;
    case "float32": dv.setFloat32(0, Number(raw)); break;
    case "int64": dv.setBigInt64(0, BigInt(raw as any)); break;
    case "uint64": dv.setBigUint64(0, BigInt(raw as any)); break;
    case "float64": dv.setFloat64(0, Number(raw)); break;
    case "string": c.set(UTF8_ENCODER.encode(String(raw)).subarray(0, c.length)); break;
  }
  return canonical(c, s.byteOrder, s.wordOrder, s.type !== "string");
}

/** Sets or clears one bit of a register value read from the device, honouring the byte order. */
export function withBit(bytes: Uint8Array, byteOrder: ByteOrder, bit: number, on: boolean): Uint8Array {
  const c = canonical(bytes, byteOrder, "big");
  let v = (c[0] << 8) | c[1];
  v = on ? v | (1 << bit) : v & ~(1 << bit) & 0xffff;
  return canonical(Uint8Array.from([v >> 8, v & 0xff]), byteOrder, "big");
}

/** Engineering value for the outbox: raw × scale + offset; 64-bit integers beyond 2^53 as decimal strings. */
export function toValue(raw: Raw, scale: number, offset: number): number | string | boolean {
  if (typeof raw === "boolean" || typeof raw === "string") return raw;
  const plain = scale === 1 && offset === 0;
  if (typeof raw === "bigint") {
    if (plain) return raw >= BigInt(Number.MIN_SAFE_INTEGER) && raw <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(raw) : raw.toString();
    return Number(raw) * scale + offset;
  }
  return plain ? raw : raw * scale + offset;
}

const INT_RANGE: Record<string, [bigint, bigint]> = {
  int16: [-(2n ** 15n), 2n ** 15n - 1n], uint16: [0n, 2n ** 16n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n], uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n], uint64: [0n, 2n ** 64n - 1n],
};

/**
 * Turns a value given by a person or the cloud (engineering units) into the raw value to write, or
 * says why not. Integers must be whole after removing scale and offset; every type's range is checked.
 */
export function fromValue(value: unknown, t: { type: TagType; scale: number; offset: number; length?: number }): { ok: true; raw: Raw } | { ok: false; error: string } {
  const { type } = t;
  if (type === "bool" || type === "bit") {
    if (typeof value === "boolean") return { ok: true, raw: value };
    if (value === 0 || value === 1) return { ok: true, raw: value === 1 };
    return { ok: false, error: `${type} takes true/false (or 0/1), got ${JSON.stringify(value)}` };
  }
  if (type === "string") {
    if (typeof value !== "string") return { ok: false, error: `string takes a string, got ${JSON.stringify(value)}` };
    const n = UTF8_ENCODER.encode(value).length;
    const max = t.length ?? 2;
    if (n > max) return { ok: false, error: `string is ${n} bytes, longer than the tag's length ${max}` };
    return { ok: true, raw: value };
  }
  const plain = t.scale === 1 && t.offset === 0;
  if (type === "float32" || type === "float64") {
    const v = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    if (typeof v !== "number" || !Number.isFinite(v)) return { ok: false, error: `${type} takes a finite number, got ${JSON.stringify(value)}` };
    const raw = plain ? v : (v - t.offset) / t.scale;
    if (type === "float32" && Math.abs(raw) > 3.4028234663852886e38) return { ok: false, error: `${raw} is out of float32 range` };
    return { ok: true, raw };
  }
  // Integer types. 64-bit values may come as decimal strings to keep every digit.
  const [lo, hi] = INT_RANGE[type];
  let raw: bigint;
  if (plain && typeof value === "string" && /^-?\d+$/.test(value.trim())) raw = BigInt(value.trim());
  else {
    const v = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    if (typeof v !== "number" || !Number.isFinite(v)) return { ok: false, error: `${type} takes a number, got ${JSON.stringify(value)}` };
    const r = plain ? v : (v - t.offset) / t.scale;
    const rounded = Math.round(r);
    if (plain && !Number.isInteger(v)) return { ok: false, error: `${type} takes a whole number, got ${v}` };
    if (!plain && Math.abs(r - rounded) > 1e-6 * Math.max(1, Math.abs(r))) return { ok: false, error: `${v} is not a multiple of scale ${t.scale} from offset ${t.offset}` };
    if (plain && !Number.isSafeInteger(v) && (type === "int64" || type === "uint64")) return { ok: false, error: `${v} loses digits as a number; send it as a decimal string` };
    raw = BigInt(rounded);
  }
  if (raw < lo || raw > hi) return { ok: false, error: `${raw} is out of ${type} range [${lo}, ${hi}]` };
  return { ok: true, raw: type === "int64" || type === "uint64" ? raw : Number(raw) };
}
