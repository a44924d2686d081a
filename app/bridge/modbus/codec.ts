// Modbus framing and PDUs, pure (bytes in, values or errors out). References: "MODBUS Application
// Protocol Specification V1.1b3" (function codes, section 6; exceptions, section 7) and "MODBUS over
// Serial Line V1.02" (RTU framing 2.5.1, CRC 6.2.2), "MODBUS Messaging on TCP/IP V1.0b" (MBAP 3.1.3).

export const FC = {
  readCoils: 1, readDiscrete: 2, readHolding: 3, readInput: 4,
  writeCoil: 5, writeRegister: 6, writeCoils: 15, writeRegisters: 16,
} as const;

/** Protocol limits per request (application spec 6.1-6.4, 6.11-6.12). */
export const LIMITS = { readBits: 2000, readRegisters: 125, writeBits: 1968, writeRegisters: 123 };

/** An exception response (application spec section 7): the device answered, but refused. */
export class ModbusException extends Error {
  constructor(readonly fc: number, readonly code: number) {
    super(`exception ${code} (${EXCEPTION_NAMES[code] ?? "unknown"}) to function ${fc}`);
  }
}
export const EXCEPTION_NAMES: Record<number, string> = {
  1: "illegal function", 2: "illegal data address", 3: "illegal data value", 4: "server device failure",
  5: "acknowledge", 6: "server device busy", 8: "memory parity error", 10: "gateway path unavailable",
  11: "gateway target device failed to respond",
};

/** No usable answer: timeout, damaged frame, closed link. `kind` becomes the tag quality `bad:{kind}`. */
export class ModbusError extends Error {
  constructor(readonly kind: "timeout" | "crc" | "frame" | "connect" | "closed" | "stuck", message: string) { super(message); }
}

// ---- CRC-16/MODBUS (serial line spec 6.2.2): poly 0xA001 reflected, init 0xFFFF, sent low byte first.
const CRC_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

export function crc16(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ CRC_TABLE[(crc ^ buf[i]) & 0xff];
  return crc;
}

// ---- Request PDUs.
const u16 = (v: number) => [(v >>> 8) & 0xff, v & 0xff];

export function readPdu(fc: 1 | 2 | 3 | 4, address: number, count: number): Uint8Array {
  return Uint8Array.from([fc, ...u16(address), ...u16(count)]);
}
export function writeCoilPdu(address: number, on: boolean): Uint8Array {
  return Uint8Array.from([FC.writeCoil, ...u16(address), on ? 0xff : 0, 0]);
}
export function writeRegisterPdu(address: number, value: number): Uint8Array {
  return Uint8Array.from([FC.writeRegister, ...u16(address), ...u16(value)]);
}
export function writeCoilsPdu(address: number, bits: boolean[]): Uint8Array {
  const n = Math.ceil(bits.length / 8);
  const out = new Uint8Array(6 + n);
  out.set([FC.writeCoils, ...u16(address), ...u16(bits.length), n]);
  bits.forEach((b, i) => { if (b) out[6 + (i >> 3)] |= 1 << (i & 7); });
  return out;
}
/** `data` is the registers' bytes as they go on the wire (2 per register). */
export function writeRegistersPdu(address: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(6 + data.length);
  out.set([FC.writeRegisters, ...u16(address), ...u16(data.length / 2), data.length]);
  out.set(data, 6);
  return out;
}

/** Length of a complete response PDU, or 0 while too few bytes are known, or -1 if not a response to fc. */
export function responsePduLength(pdu: Uint8Array, offset: number, avail: number, fc: number): number {
  if (avail < 1) return 0;
  const rfc = pdu[offset];
  if (rfc === (fc | 0x80)) return 2;
  if (rfc !== fc) return -1;
  switch (fc) {
    case 1: case 2: case 3: case 4: return avail < 2 ? 0 : 2 + pdu[offset + 1];
    case 5: case 6: case 15: case 16: return 5;
    default: return -1;
  }
}

/**
 * Checks a response PDU against its request and returns the data: bits for FC1/2, the registers'
 * wire bytes for FC3/4, nothing for writes (the echo is checked). Throws ModbusException for an
 * exception response and ModbusError("frame") for anything that does not fit the request.
 */
export function parseResponse(req: Uint8Array, res: Uint8Array): { bits?: boolean[]; bytes?: Uint8Array } {
  const fc = req[0];
  if (res.length >= 2 && res[0] === (fc | 0x80)) throw new ModbusException(fc, res[1]);
  if (res[0] !== fc) throw new ModbusError("frame", `response function ${res[0]} to request ${fc}`);
  const count = (req[3] << 8) | req[4];
  switch (fc) {
    case 1: case 2: {
      const n = Math.ceil(count / 8);
      if (res[1] !== n || res.length !== 2 + n) throw new ModbusError("frame", `expected ${n} data bytes, got ${res[1]}`);
      const bits: boolean[] = new Array(count);
      for (let i = 0; i < count; i++) bits[i] = ((res[2 + (i >> 3)] >> (i & 7)) & 1) === 1;
      return { bits };
    }
    case 3: case 4:
      if (res[1] !== count * 2 || res.length !== 2 + count * 2) throw new ModbusError("frame", `expected ${count * 2} data bytes, got ${res[1]}`);
      return { bytes: res.subarray(2) };
    case 5: case 6:
      if (res.length !== 5 || res.some((b, i) => b !== req[i])) throw new ModbusError("frame", "write response does not echo the request");
      return {};
    case 15: case 16:
      if (res.length !== 5 || res.some((b, i) => b !== req[i])) throw new ModbusError("frame", "write response does not match address and count");
      return {};
    default: throw new ModbusError("frame", `unsupported function ${fc}`);
  }
}

// ---- Framings. A framer turns (unit, pdu) into an ADU and cuts responses out of a byte stream.
export interface Pending { tid: number; unit: number; fc: number }
export type Cut =
  | { kind: "more" }
  | { kind: "frame"; used: number; unit: number; pdu: Uint8Array }
  | { kind: "skip"; used: number }                      // a frame that is not ours (late, other tid)
  | { kind: "bad"; used: number; error: ModbusError };  // damaged: give up on this response

export interface Framer {
  readonly name: "tcp" | "rtu";
  encode(tid: number, unit: number, pdu: Uint8Array): Uint8Array;
  cut(buf: Uint8Array, p: Pending): Cut;
}

/** MBAP header (TCP spec 3.1.3): transaction id, protocol 0, length (unit + PDU), unit. */
export const tcpFramer: Framer = {
  name: "tcp",
  encode(tid, unit, pdu) {
    const out = new Uint8Array(7 + pdu.length);
    out.set([...u16(tid), 0, 0, ...u16(pdu.length + 1), unit]);
    out.set(pdu, 7);
    return out;
  },
  cut(buf, p) {
    if (buf.length < 7) return { kind: "more" };
    const tid = (buf[0] << 8) | buf[1], proto = (buf[2] << 8) | buf[3], len = (buf[4] << 8) | buf[5];
    if (proto !== 0 || len < 2 || len > 254) return { kind: "bad", used: buf.length, error: new ModbusError("frame", `bad MBAP header (protocol ${proto}, length ${len})`) };
    if (buf.length < 6 + len) return { kind: "more" };
    const used = 6 + len;
    if (tid !== p.tid) return { kind: "skip", used };
    return { kind: "frame", used, unit: buf[6], pdu: buf.slice(7, used) };
  },
};

/** RTU (serial line spec 2.5.1): unit, PDU, CRC low byte first. The frame's end is found from the
 *  expected length of the response to the pending function; the inter-character timeout (in the
 *  stack) catches a frame that stops short. */
export const rtuFramer: Framer = {
  name: "rtu",
  encode(_tid, unit, pdu) {
    const out = new Uint8Array(pdu.length + 3);
    out[0] = unit;
    out.set(pdu, 1);
    const c = crc16(out, 0, pdu.length + 1);
    out[pdu.length + 1] = c & 0xff;
    out[pdu.length + 2] = c >>> 8;
    return out;
  },
  cut(buf, p) {
    if (buf.length < 2) return { kind: "more" };
    const n = responsePduLength(buf, 1, buf.length - 1, p.fc);
    if (n < 0 || buf[0] !== p.unit) return { kind: "bad", used: buf.length, error: new ModbusError("frame", `unexpected frame start ${hex(buf.subarray(0, 3))}`) };
    if (n === 0 || buf.length < n + 3) return { kind: "more" };
    const used = n + 3;
    const c = crc16(buf, 0, n + 1);
    if (buf[n + 1] !== (c & 0xff) || buf[n + 2] !== c >>> 8) return { kind: "bad", used, error: new ModbusError("crc", "CRC mismatch") };
    return { kind: "frame", used, unit: buf[0], pdu: buf.slice(1, n + 1) };
  },
};

/** Longest RTU response to a request (for the transmission-time part of the timeout). */
export function maxResponseBytes(pdu: Uint8Array): number {
  const fc = pdu[0], count = (pdu[3] << 8) | pdu[4];
  if (fc === 1 || fc === 2) return 5 + Math.ceil(count / 8);
  if (fc === 3 || fc === 4) return 5 + count * 2;
  return 8;
}

export function hex(b: Uint8Array): string { return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" "); }
