// GPIO behind one small interface, three drivers: sysfs (/sys/class/gpio, the layout onoff uses),
// the GPIO character device through the libgpiod tools (kernels without sysfs GPIO), and a
// simulated twin. Board profiles name lines by chip and offset; the driver resolves the rest.

export type Edge = "none" | "rising" | "falling" | "both";
export type Bit = 0 | 1;

export interface LineSpec {
  /** Chip: its label (`pinctrl-bcm2711`, `30200000.gpio`), `gpiochipN` (character device name), or a sysfs dir name. */
  chip: string;
  /** Offset of the line on that chip. */
  line: number;
  activeLow?: boolean;
}

export interface GpioLine {
  readonly spec: LineSpec;
  read(): Promise<Bit>;
  write(v: Bit): Promise<void>;
  /** Calls fn on each edge of the configured kind with the new value. Returns an unsubscribe. */
  watch(fn: (value: Bit, ts: number) => void): () => void;
  close(): void;
}

export interface GpioDriver {
  readonly kind: "sysfs" | "chardev" | "sim";
  input(spec: LineSpec, edge?: Edge): Promise<GpioLine>;
  output(spec: LineSpec, initial?: Bit): Promise<GpioLine>;
  close(): void;
}

/** Whether a change from `prev` to `next` is an edge this watcher wants. */
export function wanted(edge: Edge, prev: Bit, next: Bit): boolean {
  if (prev === next || edge === "none") return false;
  return edge === "both" || (edge === "rising" ? next === 1 : next === 0);
}
