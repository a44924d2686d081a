// The `bridge` config slice (Modbus TCP/RTU to MQTT), as users write it (README: bridge-config).
// The schema checks shapes and ranges; rules that span keys (tcp xor rtu, area/type pairs, a string
// needs a length, unique names, one serial line's settings agreeing) are checked by validate.ts,
// which reports them as `path: reason` in GET /api/bridge/devices and the log, and skips the device.
import { Type, type Static } from "@sinclair/typebox";
import { Section } from "../config/types.ts";

const Order = (description: string) => Type.Union([Type.Literal("big"), Type.Literal("little")], { default: "big", description });
const OptOrder = (description: string) => Type.Optional(Type.Union([Type.Literal("big"), Type.Literal("little")], { description }));

export const AREAS = ["coil", "discrete", "holding", "input"] as const;
export const TYPES = ["bool", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64", "string", "bit"] as const;

export const TagConfig = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 128, pattern: "^[^\\s/#+]+$", description: "Tag name (the `tag` of telemetry points)" }),
  area: Type.Union(AREAS.map((a) => Type.Literal(a)), { description: "coil (FC1/5/15), discrete (FC2), holding (FC3/6/16), input (FC4)" }),
  address: Type.Integer({ minimum: 0, maximum: 65535, description: "Zero-based protocol address (register 40001 is holding 0)" }),
  type: Type.Union(TYPES.map((t) => Type.Literal(t)), { default: "uint16", description: "Value type; coils and discrete inputs are bool" }),
  length: Type.Optional(Type.Integer({ minimum: 1, maximum: 250, description: "string: length in bytes (characters), 2 per register" })),
  bit: Type.Optional(Type.Integer({ minimum: 0, maximum: 15, description: "bit: bit index in the register, 0 = least significant" })),
  scale: Type.Number({ default: 1, description: "Reported value = raw × scale + offset (numbers only)" }),
  offset: Type.Number({ default: 0 }),
  deadband: Type.Number({ default: 0, minimum: 0, description: "Report a numeric value only when it moved more than this since the last report" }),
  writable: Type.Boolean({ default: false, description: "Allow POST /api/bridge/write and cmd/bridge-write" }),
  byteOrder: OptOrder("Bytes within a register; overrides the device"),
  wordOrder: OptOrder("Registers within a multi-register value; overrides the device"),
}, { additionalProperties: false });

export const RtuConfig = Type.Object({
  port: Type.String({ minLength: 1, description: "Serial device, e.g. /dev/ttyS1 or /dev/ttyUSB0" }),
  baud: Type.Integer({ default: 9600, minimum: 300, maximum: 4000000 }),
  parity: Type.Union([Type.Literal("none"), Type.Literal("even"), Type.Literal("odd")], { default: "none" }),
  dataBits: Type.Union([Type.Literal(7), Type.Literal(8)], { default: 8 }),
  stopBits: Type.Union([Type.Literal(1), Type.Literal(2)], { default: 1 }),
}, { additionalProperties: false });

export const DeviceConfig = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.-]+$", description: "Device name: telemetry/{name}" }),
  tcp: Type.Optional(Type.String({ pattern: "^[^\\s:]+:[0-9]{1,5}$|^\\[[0-9a-fA-F:]+\\]:[0-9]{1,5}$", description: "Modbus TCP slave host:port" })),
  rtu: Type.Optional(RtuConfig),
  unit: Type.Integer({ default: 1, minimum: 0, maximum: 255, description: "Unit (slave) id; 1-247 on RTU" }),
  pollMs: Type.Integer({ default: 1000, minimum: 10, maximum: 86_400_000 }),
  timeoutMs: Type.Integer({ default: 500, minimum: 10, maximum: 60_000, description: "Response timeout per request" }),
  retries: Type.Integer({ default: 1, minimum: 0, maximum: 10, description: "Extra attempts after a timeout or a damaged frame" }),
  byteOrder: Order("Bytes within a register: big (AB, the Modbus standard) or little (BA)"),
  wordOrder: Order("Registers within 32/64-bit values: big (high word first) or little"),
  reportEveryMs: Type.Integer({ default: 60_000, minimum: 0, description: "Full report of every tag this often (0 = only changes)" }),
  tags: Type.Array(TagConfig, { default: [], maxItems: 10_000 }),
}, { additionalProperties: false });

export const BridgeConfig = Section({
  modbus: Section({
    devices: Type.Array(DeviceConfig, { default: [], maxItems: 1000 }),
  }),
  simSlave: Type.String({ default: "", pattern: "^$|^[^\\s:]*:[0-9]{1,5}$", description: "Start the simulated Modbus TCP slave (hw/sim) on host:port; empty = off" }),
});

export type BridgeConfigT = Static<typeof BridgeConfig>;
export type DeviceConfigT = Static<typeof DeviceConfig>;
export type TagConfigT = Static<typeof TagConfig>;
export type RtuConfigT = Static<typeof RtuConfig>;
export type Area = (typeof AREAS)[number];
export type TagType = (typeof TYPES)[number];
