// Example wiring: an NXP i.MX8M Mini box whose kernel has sysfs GPIO (global numbers = chip base +
// offset; bases read from sysfs, since 6.6 they start at 512), with battery and panel measured by a
// TI ADS1015 ADC on I²C (driver ti-ads1015 → iio:device0) behind resistor dividers, and currents from
// INA181A2 shunt amplifiers (gain 50, 10 mΩ shunt → 2 A per volt at the ADC).
// Dividers: 100 kΩ / 22 kΩ → ratio (100 + 22) / 22 = 5.545 (14.4 V charge voltage → 2.6 V at the ADC;
// a 22 V panel open-circuit voltage → 3.97 V, inside the ±4.096 V range).
import type { Board } from "../index.ts";

const DIVIDER = (100 + 22) / 22;

export const imx8mmAdcBoard: Board = {
  name: "imx8mm-adc",
  description: "i.MX8M Mini box, sysfs GPIO, battery and panel on an ADS1015 IIO ADC through dividers",
  simulated: false,
  energy: {
    gpio: {
      driver: "sysfs",
      lines: {
        videoPower: { chip: "30220000.gpio", line: 6 },     // GPIO3_IO06 → camera rail load switch
        modemPower: { chip: "30220000.gpio", line: 7 },     // GPIO3_IO07 → 4G module power EN
        loraReset: { chip: "30220000.gpio", line: 8, activeLow: true },
        chrg: { chip: "30200000.gpio", line: 8, activeLow: true },   // GPIO1_IO08 ← charger CHRG
        pgood: { chip: "30200000.gpio", line: 9, activeLow: true },  // GPIO1_IO09 ← charger PGOOD
        vibration: { chip: "30200000.gpio", line: 10 },    // GPIO1_IO10 ← ADXL345 INT1
      },
    },
    power: {
      driver: "iio",
      options: {
        batteryVoltage: { device: "iio:device0", channel: 0, divider: DIVIDER },
        solarVoltage: { device: "iio:device0", channel: 1, divider: DIVIDER },
        batteryCurrent: { device: "iio:device0", channel: 2, ampsPerVolt: 2 },
        solarCurrent: { device: "iio:device0", channel: 3, ampsPerVolt: 2 },
      },
    },
  },
};
