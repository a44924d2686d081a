// Config → the bridge's working model: each device with its line key and its tags resolved (orders
// inherited from the device, width in registers/bits). Rules the schema cannot state are checked
// here and reported as `path: reason`; a device with an error is skipped, the others run.
import type { Area, BridgeConfigT, DeviceConfigT, RtuConfigT, TagType } from "./config.ts";
import { describeRtu } from "./modbus/rtu.ts";
import { widthOf, type ByteOrder } from "./modbus/types.ts";

export interface Tag {
  id: number;
  name: string;
  area: Area;
  address: number;
  type: TagType;
  length?: number;
  bit?: number;
  scale: number;
  offset: number;
  deadband: number;
  writable: boolean;
  byteOrder: ByteOrder;
  wordOrder: ByteOrder;
  width: number;
}

export interface Device {
  name: string;
  /** Devices with the same key share one line (one TCP connection, one serial port) and its queue. */
  lineKey: string;
  transport: "tcp" | "rtu";
  tcp?: string;
  rtu?: RtuConfigT;
  describe: string;
  unit: number;
  pollMs: number;
  timeoutMs: number;
  retries: number;
  reportEveryMs: number;
  tags: Tag[];
  byName: Map<string, Tag>;
}

export interface ModelError { path: string; reason: string }

export function buildModel(cfg: BridgeConfigT): { devices: Device[]; errors: ModelError[]; skipped: { name: string; errors: ModelError[] }[] } {
  const errors: ModelError[] = [];
  const devices: Device[] = [];
  const skipped: { name: string; errors: ModelError[] }[] = [];
  const names = new Set<string>();
  const lines = new Map<string, RtuConfigT>();
  cfg.modbus.devices.forEach((d, i) => {
    const base = `bridge.modbus.devices.${i}`;
    const errs: ModelError[] = [];
    const err = (path: string, reason: string) => errs.push({ path: `${base}${path}`, reason });
    if (names.has(d.name)) err(".name", `duplicate device name ${JSON.stringify(d.name)}`);
    names.add(d.name);
    if (!!d.tcp === !!d.rtu) err("", "give exactly one of tcp or rtu");
    if (d.rtu && (d.unit < 1 || d.unit > 247)) err(".unit", "RTU unit must be 1-247");
    if (d.rtu) {
      const prev = lines.get(d.rtu.port);
      if (prev && describeRtu(prev) !== describeRtu(d.rtu)) err(".rtu", `${d.rtu.port} is already used with ${describeRtu(prev)}; one serial line has one setting`);
      else lines.set(d.rtu.port, d.rtu);
    }
    const tags = resolveTags(d, (p, r) => err(p, r));
    if (errs.length) { errors.push(...errs); skipped.push({ name: d.name, errors: errs }); return; }
    const transport = d.tcp ? "tcp" : "rtu";
    devices.push({
      name: d.name, transport, tcp: d.tcp, rtu: d.rtu,
      lineKey: d.tcp ? `tcp ${d.tcp}` : `rtu ${d.rtu!.port}`,
      describe: d.tcp ? `tcp ${d.tcp} unit ${d.unit}` : `${describeRtu(d.rtu!)} unit ${d.unit}`,
      unit: d.unit, pollMs: d.pollMs, timeoutMs: d.timeoutMs, retries: d.retries, reportEveryMs: d.reportEveryMs,
      tags, byName: new Map(tags.map((t) => [t.name, t])),
    });
  });
  return { devices, errors, skipped };
}

function resolveTags(d: DeviceConfigT, err: (path: string, reason: string) => void): Tag[] {
  const seen = new Set<string>();
  return d.tags.map((t, j) => {
    const p = `.tags.${j}`;
    if (seen.has(t.name)) err(`${p}.name`, `duplicate tag name ${JSON.stringify(t.name)}`);
    seen.add(t.name);
    const bitArea = t.area === "coil" || t.area === "discrete";
    // A coil or discrete input is a bool whatever the type's default says.
    const type: TagType = bitArea && t.type === "uint16" ? "bool" : t.type;
    if (bitArea && type !== "bool") err(`${p}.type`, `${t.area} holds single bits: type must be bool`);
    if (type === "string" && !t.length) err(`${p}.length`, "a string needs a length (bytes)");
    if (type === "bit" && t.bit === undefined) err(`${p}.bit`, "a bit needs its index (0-15)");
    if (t.writable && (t.area === "discrete" || t.area === "input")) err(`${p}.writable`, `${t.area} is read-only in Modbus`);
    if (t.scale === 0) err(`${p}.scale`, "scale must not be 0");
    const width = widthOf(t.area, { type, length: t.length });
    if (t.address + width > 65536) err(`${p}.address`, "tag runs past address 65535");
    return {
      id: j, name: t.name, area: t.area, address: t.address, type, length: t.length, bit: t.bit,
      scale: t.scale, offset: t.offset, deadband: t.deadband, writable: t.writable,
      byteOrder: t.byteOrder ?? d.byteOrder, wordOrder: t.wordOrder ?? d.wordOrder, width,
    };
  });
}
