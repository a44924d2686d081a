// One unit on a line: typed reads and writes over the shared stack (function codes 1-6, 15, 16).
// A line is anything with `request()` (ModbusStack, or a fake in unit tests), so the poller and the
// writer never know whether TCP or RTU carries their requests.
import type { Area } from "../config.ts";
import {
  FC, ModbusError, ModbusException, parseResponse, readPdu, writeCoilPdu, writeCoilsPdu, writeRegisterPdu, writeRegistersPdu,
} from "./codec.ts";

export interface Line {
  request(unit: number, pdu: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
}

const READ_FC: Record<Area, 1 | 2 | 3 | 4> = { coil: FC.readCoils, discrete: FC.readDiscrete, holding: FC.readHolding, input: FC.readInput };

export class UnitClient {
  constructor(readonly line: Line, readonly unit: number, public timeoutMs: number) {}

  private async call(pdu: Uint8Array): Promise<{ bits?: boolean[]; bytes?: Uint8Array; pdu: Uint8Array }> {
    const res = await this.line.request(this.unit, pdu, this.timeoutMs);
    return { ...parseResponse(pdu, res), pdu: res };
  }

  /** Reads `count` bits (coil, discrete) or registers (holding, input). */
  async read(area: Area, start: number, count: number): Promise<{ bits?: boolean[]; bytes?: Uint8Array }> {
    return await this.call(readPdu(READ_FC[area], start, count));
  }

  writeCoil(address: number, on: boolean) { return this.call(writeCoilPdu(address, on)); }
  writeCoils(address: number, bits: boolean[]) { return this.call(writeCoilsPdu(address, bits)); }
  writeRegister(address: number, value: number) { return this.call(writeRegisterPdu(address, value)); }
  writeRegisters(address: number, data: Uint8Array) { return this.call(writeRegistersPdu(address, data)); }
}

/** The tag quality for a failure: `bad:exception-2`, `bad:timeout`, `bad:crc`, `bad:connect`… */
export function qualityOf(e: unknown): string {
  if (e instanceof ModbusException) return `bad:exception-${e.code}`;
  if (e instanceof ModbusError) return `bad:${e.kind}`;
  return "bad:error";
}

/** True when the device itself answered (an exception proves it is alive). */
export function deviceAnswered(e: unknown): boolean { return e instanceof ModbusException; }
