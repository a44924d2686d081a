// Board profiles: which drivers and pins a box type uses. `gateway run --board NAME` picks one.
import type { LineSpec } from "../gpio/types.ts";
import type { GpioKind } from "../gpio/index.ts";
import type { PowerSupplyOptions } from "../power/power-supply.ts";
import type { IioOptions } from "../power/iio.ts";
import { simBoard } from "./sim/board.ts";
import { rk3568SolarBoard } from "./rk3568-solar/board.ts";
import { imx8mmAdcBoard } from "./imx8mm-adc/board.ts";

/** GPIO lines the energy module knows by name; every one is optional. */
export interface BoardLines {
  /** Output: video module power switch (on in modes with video). */
  videoPower?: LineSpec;
  /** Output: cellular modem power; off in LoRa-only modes. Only on boxes with a LoRa modem. */
  modemPower?: LineSpec;
  /** Output: LoRa modem reset (pulsed low at start). */
  loraReset?: LineSpec;
  /** Input: charger CHRG (charging) status, usually open-drain active low. */
  chrg?: LineSpec;
  /** Input: charger PGOOD (input power good), usually active low. */
  pgood?: LineSpec;
  /** Input: accelerometer interrupt, raised when acceleration passes the threshold set in the chip. */
  vibration?: LineSpec;
}

export type BoardPower =
  | { driver: "sim" }
  | { driver: "power_supply"; options: PowerSupplyOptions }
  | { driver: "iio"; options: IioOptions };

export interface BoardEnergy {
  gpio: { driver: GpioKind; /** sysfs class dir override (tests). */ root?: string; lines: BoardLines };
  power: BoardPower;
}

export interface Board {
  name: string;
  description: string;
  /** true when every driver is a simulated twin (development, tests, `make run`). */
  simulated: boolean;
  /** Energy hardware: GPIO lines and power sensors (absent = no energy hardware; policy off). */
  energy?: BoardEnergy;
}

export const boards: Record<string, Board> = { sim: simBoard, "rk3568-solar": rk3568SolarBoard, "imx8mm-adc": imx8mmAdcBoard };

export function boardByName(name: string): Board | undefined { return boards[name]; }
