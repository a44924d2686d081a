// Reading one attribute file of a sysfs device (power_supply, IIO). A missing or unreadable file is
// null, not an error: drivers differ in which attributes they provide.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export function readAttr(root: string, device: string, name: string): string | null {
  try { return readFileSync(join(root, device, name), "utf8").trim(); } catch { return null; }
}

export function readNumber(root: string, device: string, name: string): number | null {
  const text = readAttr(root, device, name);
  if (text === null || text === "") return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}
