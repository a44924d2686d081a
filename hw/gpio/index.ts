// Picks a GPIO driver: sysfs when the kernel has it, otherwise the character device; sim on the
// simulated board. A board profile may force one.
import { ChardevGpio } from "./chardev.ts";
import { SimGpio } from "./sim.ts";
import { SysfsGpio } from "./sysfs.ts";
import type { GpioDriver } from "./types.ts";

export type GpioKind = "auto" | "sysfs" | "chardev" | "sim";

import type { LineSpec } from "./types.ts";

export function openGpio(kind: GpioKind, o: { root?: string; toolsDir?: string; now?: () => number; onError?: (spec: LineSpec, message: string) => void } = {}): GpioDriver {
  if (kind === "sim") return new SimGpio(o.now);
  if (kind === "sysfs" || (kind === "auto" && SysfsGpio.available(o.root))) return new SysfsGpio({ root: o.root, now: o.now });
  return new ChardevGpio({ toolsDir: o.toolsDir, now: o.now, onError: o.onError });
}

export * from "./types.ts";
export { SimGpio, SysfsGpio, ChardevGpio };
