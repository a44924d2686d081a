import { describe, expect, test } from "bun:test";
import { hex } from "../../app/bridge/modbus/codec.ts";
import { decodeRegisters, encodeRegisters, fromValue, toValue, widthOf, withBit, type ByteOrder } from "../../app/bridge/modbus/types.ts";
import type { TagType } from "../../app/bridge/config.ts";

const ORDERS: [ByteOrder, ByteOrder][] = [["big", "big"], ["big", "little"], ["little", "big"], ["little", "little"]];

describe("types", () => {
  test("float32 10.0 in the four orders (ABCD, CDAB, BADC, DCBA)", () => {
    const want = { "big/big": "41 20 00 00", "big/little": "00 00 41 20", "little/big": "20 41 00 00", "little/little": "00 00 20 41" };
    for (const [b, w] of ORDERS) {
      const bytes = encodeRegisters(10, { type: "float32", byteOrder: b, wordOrder: w }, 2);
      expect(hex(bytes)).toBe(want[`${b}/${w}` as keyof typeof want]);
      expect(decodeRegisters(bytes, { type: "float32", byteOrder: b, wordOrder: w })).toBe(10);
    }
  });

  test("every type round-trips in every order, extremes included", () => {
    const cases: [TagType, unknown[]][] = [
      ["int16", [-32768, -1, 0, 32767]], ["uint16", [0, 1, 65535]],
      ["int32", [-2147483648, -5, 2147483647]], ["uint32", [0, 4294967295, 305419896]],
      ["int64", [-(2n ** 63n), -1n, 2n ** 63n - 1n]], ["uint64", [0n, 2n ** 64n - 1n, 0x0102030405060708n]],
      ["float32", [1.5, -0.25, 3.4028234663852886e38]], ["float64", [Math.PI, -1e300, 5e-324]],
      ["string", ["AB", "hello w", ""]], ["bool", [true, false]],
    ];
    for (const [type, values] of cases) for (const [b, w] of ORDERS) for (const v of values) {
      const spec = { type, byteOrder: b, wordOrder: w, length: 8 };
      const width = widthOf("holding", spec);
      const back = decodeRegisters(encodeRegisters(v as any, spec, width), spec);
      // float32 comes back as the shortest decimal of the same float32 (see shortestFloat32).
      if (type === "float32") expect(Math.fround(back as number)).toBe(Math.fround(v as number));
      else expect(back).toEqual(v as any);
    }
  });

  test("word order does not apply to strings; byte order does", () => {
    const s = encodeRegisters("ABCD", { type: "string", byteOrder: "big", wordOrder: "little", length: 4 }, 2);
    expect(new TextDecoder().decode(s)).toBe("ABCD");
    const l = encodeRegisters("ABCD", { type: "string", byteOrder: "little", wordOrder: "big", length: 4 }, 2);
    expect(new TextDecoder().decode(l)).toBe("BADC");
  });

  test("bit of a register, and setting one bit", () => {
    const reg = Uint8Array.from([0x80, 0x01]);
    expect(decodeRegisters(reg, { type: "bit", byteOrder: "big", wordOrder: "big", bit: 15 })).toBe(true);
    expect(decodeRegisters(reg, { type: "bit", byteOrder: "big", wordOrder: "big", bit: 1 })).toBe(false);
    expect(decodeRegisters(reg, { type: "bit", byteOrder: "little", wordOrder: "big", bit: 7 })).toBe(true);
    expect(hex(withBit(reg, "big", 3, true))).toBe("80 09");
    expect(hex(withBit(reg, "little", 8, false))).toBe("80 00");
  });

  test("engineering values: scale/offset, 64-bit beyond 2^53 as strings", () => {
    expect(toValue(215, 0.1, 0)).toBeCloseTo(21.5);
    expect(toValue(2n ** 60n, 1, 0)).toBe("1152921504606846976");
    expect(toValue(42n, 1, 0)).toBe(42);
  });

  test("writes are type- and range-checked", () => {
    const t = (type: TagType, scale = 1, offset = 0) => ({ type, scale, offset, length: 4 });
    expect(fromValue(70000, t("uint16"))).toMatchObject({ ok: false });
    expect(fromValue(-1, t("uint32"))).toMatchObject({ ok: false });
    expect(fromValue(1.5, t("int16"))).toMatchObject({ ok: false });
    expect(fromValue("x", t("float32"))).toMatchObject({ ok: false });
    expect(fromValue(1e39, t("float32"))).toMatchObject({ ok: false });
    expect(fromValue("abcde", t("string"))).toMatchObject({ ok: false });
    expect(fromValue("maybe", t("bool"))).toMatchObject({ ok: false });
    expect(fromValue(21.5, t("int16", 0.1))).toEqual({ ok: true, raw: 215 });
    expect(fromValue(21.55, t("int16", 0.1))).toMatchObject({ ok: false });
    expect(fromValue("18446744073709551615", t("uint64"))).toEqual({ ok: true, raw: 2n ** 64n - 1n });
    expect(fromValue("18446744073709551616", t("uint64"))).toMatchObject({ ok: false });
    expect(fromValue(1, t("bool"))).toEqual({ ok: true, raw: true });
  });
});

describe("float32 display", () => {
  test("the shortest decimal that is the same float32", async () => {
    const { shortestFloat32 } = await import("../../app/bridge/modbus/types.ts");
    for (const v of [230.7, 3.14159, -0.1, 1e-30, 3.4028234663852886e38, 16777217, 0.3]) {
      const f = Math.fround(v);
      const s = shortestFloat32(f);
      expect(Math.fround(s)).toBe(f);
      expect(String(s).replace(/[-.]|e.*$/g, "").replace(/^0+/, "").length).toBeLessThanOrEqual(9);
    }
    expect(shortestFloat32(Math.fround(230.7))).toBe(230.7);
    expect(shortestFloat32(NaN)).toBeNaN();
  });
});
