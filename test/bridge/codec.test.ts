import { describe, expect, test } from "bun:test";
import {
  crc16, hex, ModbusError, ModbusException, parseResponse, readPdu, rtuFramer, tcpFramer, writeCoilsPdu, writeRegistersPdu,
} from "../../app/bridge/modbus/codec.ts";

describe("codec", () => {
  test("CRC-16/MODBUS matches the serial line spec example and the check value", () => {
    // "01 03 00 00 00 0A" → C5 CD (CRC low byte first on the wire).
    const f = rtuFramer.encode(0, 1, readPdu(3, 0, 10));
    expect(hex(f)).toBe("01 03 00 00 00 0a c5 cd");
    expect(crc16(new TextEncoder().encode("123456789"))).toBe(0x4b37);
  });

  test("MBAP framing: transaction id, protocol 0, length, unit", () => {
    expect(hex(tcpFramer.encode(0x1234, 7, readPdu(4, 10, 2)))).toBe("12 34 00 00 00 06 07 04 00 0a 00 02");
  });

  test("RTU cut: waits for the expected length, checks CRC and unit, across chunks", () => {
    const resp = rtuFramer.encode(0, 1, Uint8Array.from([3, 4, 0, 1, 0, 2]));
    const p = { tid: 0, unit: 1, fc: 3 };
    expect(rtuFramer.cut(resp.subarray(0, 2), p).kind).toBe("more");
    expect(rtuFramer.cut(resp.subarray(0, 8), p).kind).toBe("more");
    const full = rtuFramer.cut(resp, p);
    expect(full.kind).toBe("frame");
    if (full.kind === "frame") expect(hex(full.pdu)).toBe("03 04 00 01 00 02");
    const bad = resp.slice(); bad[4] ^= 0xff;
    const c = rtuFramer.cut(bad, p);
    expect(c.kind === "bad" && c.error.kind).toBe("crc");
    expect(rtuFramer.cut(resp, { ...p, unit: 2 }).kind).toBe("bad");
    const exc = rtuFramer.encode(0, 1, Uint8Array.from([0x83, 2]));
    const ce = rtuFramer.cut(exc, p);
    expect(ce.kind).toBe("frame");
  });

  test("TCP cut skips a late answer to another transaction", () => {
    const late = tcpFramer.encode(1, 1, Uint8Array.from([3, 2, 0, 9]));
    const mine = tcpFramer.encode(2, 1, Uint8Array.from([3, 2, 0, 7]));
    const buf = new Uint8Array([...late, ...mine]);
    const a = tcpFramer.cut(buf, { tid: 2, unit: 1, fc: 3 });
    expect(a.kind).toBe("skip");
    const b = tcpFramer.cut(buf.subarray(late.length), { tid: 2, unit: 1, fc: 3 });
    expect(b.kind === "frame" && hex(b.pdu)).toBe("03 02 00 07");
    expect(tcpFramer.cut(Uint8Array.from([0, 1, 0, 5, 0, 3, 1]), { tid: 1, unit: 1, fc: 3 }).kind).toBe("bad");
  });

  test("responses are checked against their request; exceptions are values", () => {
    const req = readPdu(1, 0, 10);
    expect(parseResponse(req, Uint8Array.from([1, 2, 0b101, 0b10])).bits).toEqual([true, false, true, false, false, false, false, false, false, true]);
    expect(() => parseResponse(req, Uint8Array.from([1, 1, 0]))).toThrow(ModbusError);
    try { parseResponse(req, Uint8Array.from([0x81, 2])); throw new Error("no"); }
    catch (e) { expect(e).toBeInstanceOf(ModbusException); expect((e as ModbusException).code).toBe(2); }
    const w = writeRegistersPdu(5, Uint8Array.from([0, 1, 0, 2]));
    expect(hex(w)).toBe("10 00 05 00 02 04 00 01 00 02");
    expect(parseResponse(w, w.subarray(0, 5))).toEqual({});
    expect(() => parseResponse(w, Uint8Array.from([16, 0, 5, 0, 1]))).toThrow(ModbusError);
    expect(hex(writeCoilsPdu(0, [true, false, true, true, false, false, false, false, true]))).toBe("0f 00 00 00 09 02 0d 01");
  });
});
