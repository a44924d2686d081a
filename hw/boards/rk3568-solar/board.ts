// Example wiring: a Rockchip RK3568 gateway on a 6.6+ kernel built without CONFIG_GPIO_SYSFS, so GPIO
// goes through the character device (libgpiod tools). Battery from a CellWise CW2015 fuel gauge
// (driver cw2015_battery → power_supply "cw2015-battery"), panel from a TI BQ25895 charger
// (driver bq25890_charger → power_supply "bq25890-charger": online, input voltage/current).
// RK3568 has five 32-line banks, /dev/gpiochip0..4; line = bank pin (A0–A7 = 0–7, B0 = 8, … D7 = 31).
import type { Board } from "../index.ts";

export const rk3568SolarBoard: Board = {
  name: "rk3568-solar",
  description: "RK3568 box, GPIO character device (no sysfs), CW2015 gauge + BQ25895 charger (power_supply)",
  simulated: false,
  energy: {
    gpio: {
      driver: "chardev",
      lines: {
        videoPower: { chip: "gpiochip3", line: 20 },        // GPIO3_C4 → load switch EN of the camera 12 V rail
        modemPower: { chip: "gpiochip3", line: 21 },        // GPIO3_C5 → 4G module power EN
        loraReset: { chip: "gpiochip3", line: 22, activeLow: true }, // GPIO3_C6 → SX1262 module NRESET
        chrg: { chip: "gpiochip0", line: 13, activeLow: true },      // GPIO0_B5 ← BQ25895 STAT (open drain)
        pgood: { chip: "gpiochip0", line: 14, activeLow: true },     // GPIO0_B6 ← BQ25895 PG
        vibration: { chip: "gpiochip0", line: 5 },         // GPIO0_A5 ← LIS3DH INT1 (threshold set in the chip)
      },
    },
    power: { driver: "power_supply", options: { battery: "cw2015-battery", solar: "bq25890-charger" } },
  },
};
