// The shared request/response stack on simulated time, with a link that records what is written
// and lets the test play the slave byte by byte: RTU silence and one-at-a-time, frames ended by
// length or by the inter-character timeout, CRC errors, late TCP answers.
import { describe, expect, test } from "bun:test";
import { SimClock } from "../../app/core/clock.ts";
import { hex, ModbusError, readPdu, rtuFramer, tcpFramer } from "../../app/bridge/modbus/codec.ts";
import { rtuTiming } from "../../app/bridge/modbus/rtu.ts";
import { ModbusStack, type Link } from "../../app/bridge/modbus/stack.ts";

class Wire implements Link {
  readonly describe = "test wire";
  written: { at: number; frame: Uint8Array }[] = [];
  resets = 0;
  constructor(private readonly clock: SimClock) {}
  async open(): Promise<void> {}
  write(frame: Uint8Array): void { this.written.push({ at: this.clock.now(), frame }); }
  reset(): void { this.resets++; }
  close(): void {}
}

const flush = () => new Promise((r) => setImmediate(r));

function rtu() {
  const clock = new SimClock();
  const wire = new Wire(clock);
  const timing = rtuTiming(9600);
  const stack = new ModbusStack(rtuFramer, wire, clock, timing);
  return { clock, wire, stack, timing };
}

describe("stack", () => {
  test("RTU: one request at a time, with the 3.5-character silence between transactions", async () => {
    const { clock, wire, stack, timing } = rtu();
    expect(timing.silenceMs).toBe(5);                     // 3.5 × 11 bits at 9600 baud = 4.01 ms, rounded up
    const a = stack.request(1, readPdu(3, 0, 1), 500);
    const b = stack.request(2, readPdu(3, 0, 1), 500);
    await flush();
    expect(wire.written.length).toBe(1);                  // b waits for a's answer
    clock.advance(20);
    stack.feed(rtuFramer.encode(0, 1, Uint8Array.from([3, 2, 0, 7])));
    expect(hex(await a)).toBe("03 02 00 07");
    await flush();
    expect(wire.written.length).toBe(1);                  // still quiet: the silent interval
    clock.advance(timing.silenceMs);
    await flush();
    expect(wire.written.length).toBe(2);
    expect(wire.written[1].frame[0]).toBe(2);
    expect(wire.written[1].at - clock.now()).toBeLessThanOrEqual(0);
    // A response split across reads is joined, and ended by its expected length.
    const resp = rtuFramer.encode(0, 2, Uint8Array.from([3, 2, 0, 9]));
    stack.feed(resp.subarray(0, 3));
    clock.advance(10);
    stack.feed(resp.subarray(3));
    expect(hex(await b)).toBe("03 02 00 09");
  });

  test("RTU: a frame that stops short ends by the inter-character timeout; a bad CRC is an error", async () => {
    const { clock, stack, timing, wire } = rtu();
    const a = stack.request(1, readPdu(3, 0, 2), 1000);
    await flush();
    stack.feed(Uint8Array.from([1, 3, 4, 0]));
    clock.advance(timing.interCharMs + 1);
    const e = await a.catch((x) => x);
    expect(e).toBeInstanceOf(ModbusError);
    expect(e.kind).toBe("frame");
    clock.advance(10);
    const b = stack.request(1, readPdu(3, 0, 1), 1000);
    await flush();
    // After a failure the line stays quiet for the inter-character timeout, not just t3.5, so the
    // rest of a damaged answer is flushed instead of taken for the next one's.
    expect(wire.written.length).toBe(1);
    clock.advance(timing.interCharMs);
    await flush();
    expect(wire.written.length).toBe(2);
    const bad = rtuFramer.encode(0, 1, Uint8Array.from([3, 2, 0, 7]));
    bad[bad.length - 1] ^= 1;
    stack.feed(bad);
    expect((await b.catch((x) => x)).kind).toBe("crc");
    expect(stack.stats.frameErrors).toBe(2);
  });

  test("timeout includes transmission time on slow lines; nothing answering is a timeout", async () => {
    const { clock, stack } = rtu();
    const a = stack.request(1, readPdu(3, 0, 125), 100);  // 255-byte answer ≈ 300 ms at 9600 baud
    await flush();
    clock.advance(150);
    await flush();
    let settled = false;
    void a.catch(() => { settled = true; });
    await flush();
    expect(settled).toBe(false);
    clock.advance(400);
    expect((await a.catch((x) => x)).kind).toBe("timeout");
  });

  test("TCP: a late answer to an earlier transaction is skipped; garbage resets the connection", async () => {
    const clock = new SimClock();
    const wire = new Wire(clock);
    const stack = new ModbusStack(tcpFramer, wire, clock);
    const a = stack.request(1, readPdu(3, 0, 1), 100);
    await flush();
    clock.advance(100);
    expect((await a.catch((x) => x)).kind).toBe("timeout");
    const b = stack.request(1, readPdu(3, 0, 1), 100);
    await flush();
    const tidA = (wire.written[0].frame[0] << 8) | wire.written[0].frame[1];
    const tidB = (wire.written[1].frame[0] << 8) | wire.written[1].frame[1];
    stack.feed(new Uint8Array([...tcpFramer.encode(tidA, 1, Uint8Array.from([3, 2, 0, 1])), ...tcpFramer.encode(tidB, 1, Uint8Array.from([3, 2, 0, 2]))]));
    expect(hex(await b)).toBe("03 02 00 02");
    const c = stack.request(1, readPdu(3, 0, 1), 100);
    await flush();
    stack.feed(Uint8Array.from([0, 0, 9, 9, 0, 3, 1, 3, 0]));
    expect((await c.catch((x) => x)).kind).toBe("frame");
    expect(wire.resets).toBe(1);
  });
});
