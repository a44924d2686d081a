// Writes from POST /api/bridge/write and MQTT cmd/bridge-write: checked against the tag (writable,
// type, range), encoded with the tag's byte and word order (the anchors' "writes that ignore word
// order"), sent through the same line queue as the polls, and answered with what the device said.
import type { Device, Tag } from "../model.ts";
import { EXCEPTION_NAMES, hex, ModbusError, ModbusException } from "./codec.ts";
import { qualityOf, type UnitClient } from "./client.ts";
import { encodeRegisters, fromValue, withBit } from "./types.ts";

export interface WriteRequest { id?: unknown; device?: unknown; tag?: unknown; value?: unknown }

export type WriteReply =
  | { id?: unknown; ok: true; device: string; tag: string; value: unknown; request: { fc: number; address: number; count: number; data: string }; response: { fc: number; pdu: string } }
  | { id?: unknown; ok: false; status: number; error: string; device?: string; tag?: string; exception?: number; quality?: string };

export interface WriteTarget { device: Device; client: UnitClient; afterWrite?: () => void }

const fail = (req: WriteRequest, status: number, error: string, extra: Record<string, unknown> = {}): WriteReply =>
  ({ ...(req.id !== undefined ? { id: req.id } : {}), ok: false, status, error, ...extra });

/** Checks a request; returns the target and tag, or the reply explaining what is wrong. */
export function checkWrite(req: WriteRequest, find: (name: string) => WriteTarget | undefined): { target: WriteTarget; tag: Tag } | WriteReply {
  if (!req || typeof req !== "object") return fail({}, 400, "body must be an object {device, tag, value}");
  if (typeof req.device !== "string" || !req.device) return fail(req, 400, "device is required (a string)");
  if (typeof req.tag !== "string" || !req.tag) return fail(req, 400, "tag is required (a string)");
  if (req.value === undefined || req.value === null) return fail(req, 400, "value is required");
  const target = find(req.device);
  if (!target) return fail(req, 404, `no device ${JSON.stringify(req.device)}`);
  const tag = target.device.byName.get(req.tag);
  if (!tag) return fail(req, 404, `device ${req.device} has no tag ${JSON.stringify(req.tag)}`);
  if (!tag.writable) return fail(req, 403, `tag ${req.tag} is not writable (set writable: true in its config)`);
  return { target, tag };
}

export async function bridgeWriteTo(req: WriteRequest, find: (name: string) => WriteTarget | undefined): Promise<WriteReply> {
  const checked = checkWrite(req, find);
  if ("ok" in checked) return checked;
  const { target, tag } = checked;
  const conv = fromValue(req.value, tag);
  if (!conv.ok) return fail(req, 400, conv.error, { device: target.device.name, tag: tag.name });
  const c = target.client;
  try {
    let sent: { fc: number; address: number; count: number; data: string };
    let res: { pdu: Uint8Array };
    if (tag.area === "coil") {
      res = await c.writeCoil(tag.address, conv.raw as boolean);
      sent = { fc: 5, address: tag.address, count: 1, data: conv.raw ? "ff 00" : "00 00" };
    } else if (tag.type === "bit") {
      // A bit inside a register: read it, change one bit, write it back (no FC22 on many devices).
      const cur = await c.read("holding", tag.address, 1);
      const data = withBit(cur.bytes!, tag.byteOrder, tag.bit ?? 0, conv.raw as boolean);
      res = await c.writeRegister(tag.address, (data[0] << 8) | data[1]);
      sent = { fc: 6, address: tag.address, count: 1, data: hex(data) };
    } else {
      const data = encodeRegisters(conv.raw, tag, tag.width);
      if (tag.width === 1) {
        res = await c.writeRegister(tag.address, (data[0] << 8) | data[1]);
        sent = { fc: 6, address: tag.address, count: 1, data: hex(data) };
      } else {
        res = await c.writeRegisters(tag.address, data);
        sent = { fc: 16, address: tag.address, count: tag.width, data: hex(data) };
      }
    }
    target.afterWrite?.();
    return {
      ...(req.id !== undefined ? { id: req.id } : {}), ok: true, device: target.device.name, tag: tag.name,
      value: typeof conv.raw === "bigint" ? req.value : req.value, request: sent, response: { fc: res.pdu[0], pdu: hex(res.pdu) },
    };
  } catch (e) {
    const extra = { device: target.device.name, tag: tag.name, quality: qualityOf(e) };
    if (e instanceof ModbusException) return fail(req, 502, `device refused: exception ${e.code} (${EXCEPTION_NAMES[e.code] ?? "unknown"})`, { ...extra, exception: e.code });
    if (e instanceof ModbusError) return fail(req, e.kind === "timeout" ? 504 : 502, `device did not answer: ${e.message}`, extra);
    return fail(req, 500, `write failed: ${String(e)}`, extra);
  }
}
