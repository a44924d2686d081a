// The reference box of issue #5, in one place. Sources (also in README, section energy):
// - 12 V 20 Ah battery = 240 Wh, 60 W panel, cut-off at 10% state of charge, rain = 10% of clear sky,
//   and every draw below: the reference figures, which follow the published field result for
//   this class of gateway (adaptive modes held basic communication through 7 rainy days on the Qinghai
//   plateau). Main board figures are typical of a quad Cortex-A53/A55 SBC under load / idle / suspend-
//   like idle with peripherals off; a 4G Cat-1/Cat-4 modem draws ~1.5 W transferring and ~0.3 W idle.
// - Charge efficiency 0.9 (PWM/MPPT charger plus battery coulombic losses; 0.85–0.95 for lead-acid and
//   LiFePO4), converter efficiency 0.92 on the load side (12 V → 5 V buck).
// - Panel derate 0.8 (temperature, soiling, wiring and MPPT losses; PVWatts uses ~0.86 system losses).
// - Reconnect at 15% after a cut-off: the low-voltage disconnect of a solar charge controller has
//   hysteresis so a box does not restart into an empty battery.
// - Site: Xining, Qinghai (36.6° N, 101.8° E), panel tilted at the latitude.

export const REFERENCE_BOX = {
  battery: { capacityWh: 240, cutoffSoc: 10, reconnectSoc: 15, chargeEfficiency: 0.9, converterEfficiency: 0.92 },
  panel: { watts: 60, derate: 0.8, latitude: 36.6, longitude: 101.8, tilt: 36.6 },
  rainFactor: 0.1,
  draw: {
    mainBoard: { full: 2.0, saver: 1.2, survival: 0.35 },
    video: 4.0,
    uplink: { active: 1.5, idle: 0.3 },
    sensors: 0.2,        // RS-485 transceiver and sensors, while sampling
    loraTx: 0.5,         // LoRa modem while transmitting
  },
  /** Seconds the cellular uplink is active to send one batch or one heartbeat (attach, TLS, publish). */
  burstSec: 15,
  /** Seconds the LoRa modem transmits one heartbeat frame (wake, join check, ~20-byte uplink at SF9). */
  loraTxSec: 2,
} as const;

export type BoardPowerState = "full" | "saver" | "survival";
