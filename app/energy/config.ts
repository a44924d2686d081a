// The `energy` config slice: which policy, the battery and panel it reasons about, the reserve, the
// hysteresis and dwell that keep it from flapping, vibration wake, and what each mode sets (the knobs).
// Defaults are the reference box of issue #5 (hw/sim/reference-box.ts).
import { Type, type Static } from "@sinclair/typebox";
import { Section } from "../config/types.ts";

export const MODE_IDS = ["full", "saver", "survival"] as const;
export type ModeId = (typeof MODE_IDS)[number];

function ModeSettings(d: { drawWatts: number; pollScale: number; batchInterval: number; video: boolean; heartbeatInterval: number; loraOnly: boolean; sipKeepalive: number }) {
  return Section({
    drawWatts: Type.Number({ default: d.drawWatts, minimum: 0, maximum: 1000, description: "Average box draw in this mode (W), used by the adaptive policy to plan" }),
    pollScale: Type.Number({ default: d.pollScale, minimum: 0, maximum: 10000, description: "Multiplier on Modbus poll periods (0 = stop polling)" }),
    batchInterval: Type.Integer({ default: d.batchInterval, minimum: 0, maximum: 86400, description: "Seconds between telemetry uploads (0 = send at once)" }),
    video: Type.Boolean({ default: d.video, description: "Video module powered (GPIO output videoPower)" }),
    heartbeatInterval: Type.Integer({ default: d.heartbeatInterval, minimum: 1, maximum: 3600, description: "Seconds between heartbeats (at most an hour)" }),
    loraOnly: Type.Boolean({ default: d.loraOnly, description: "Use only the LoRa uplink for critical data in this mode (when a modem is configured)" }),
    sipKeepalive: Type.Integer({ default: d.sipKeepalive, minimum: 0, maximum: 3600, description: "SIP cascade keepalive interval in this mode (0 = keep the configured one)" }),
  });
}

export const EnergyConfig = Section({
  enabled: Type.Boolean({ default: true, description: "Run the energy policy and scheduler" }),
  policy: Type.Union([Type.Literal("adaptive"), Type.Literal("thresholds"), Type.Literal("fixed")], { default: "adaptive", description: "adaptive (forecast), thresholds (battery % alone) or fixed (always full)" }),
  tickSec: Type.Integer({ default: 60, minimum: 1, maximum: 3600, description: "Seconds between sensor readings and policy evaluations" }),
  modeNames: Section({
    full: Type.String({ default: "full", pattern: "^[A-Za-z0-9_.-]{1,32}$" }),
    saver: Type.String({ default: "saver", pattern: "^[A-Za-z0-9_.-]{1,32}$" }),
    survival: Type.String({ default: "survival", pattern: "^[A-Za-z0-9_.-]{1,32}$" }),
  }, { description: "Names shown in events, API and MQTT status for the three modes" }),
  battery: Section({
    capacityWh: Type.Number({ default: 240, minimum: 1, maximum: 100000, description: "Battery capacity (Wh)" }),
    cutoffSoc: Type.Number({ default: 10, minimum: 0, maximum: 90, description: "State of charge (%) at which the box loses power" }),
    chargeEfficiency: Type.Number({ default: 0.9, minimum: 0.1, maximum: 1 }),
  }),
  panel: Section({
    watts: Type.Number({ default: 60, minimum: 0, maximum: 10000, description: "Panel rating (W); seeds the harvest forecast before history exists" }),
    latitude: Type.Number({ default: 36.6, minimum: -90, maximum: 90 }),
    longitude: Type.Number({ default: 101.8, minimum: -180, maximum: 180 }),
    tilt: Type.Number({ default: 36.6, minimum: 0, maximum: 90, description: "Panel tilt from horizontal (degrees), facing the equator" }),
  }),
  reserveDays: Type.Number({ default: 3, minimum: 0, maximum: 60, description: "Days of heartbeats (survival draw, no sun) the policy never spends" }),
  horizonHours: Type.Integer({ default: 24, minimum: 1, maximum: 168, description: "How far ahead the adaptive policy plans" }),
  planBlockHours: Type.Integer({ default: 1, minimum: 1, maximum: 168, description: "adaptive: a mode is chosen if running it this long, then survival, keeps the reserve over the horizon" }),
  hysteresisPct: Type.Number({ default: 5, minimum: 0, maximum: 50, description: "Extra margin (% of capacity) needed to move up a mode" }),
  minDwell: Type.Integer({ default: 1800, minimum: 0, maximum: 86400, description: "Seconds a mode is kept before another change (emergencies and vibration excepted)" }),
  forecast: Section({
    alpha: Type.Number({ default: 0.5, minimum: 0.01, maximum: 1, description: "Weight of the newest day in the per-hour harvest average (EWMA)" }),
    priorFactor: Type.Number({ default: 0.3, minimum: 0, maximum: 1, description: "Before any history: fraction of the clear-sky model assumed" }),
  }),
  thresholds: Section({
    fullAbove: Type.Number({ default: 60, minimum: 0, maximum: 100, description: "thresholds policy: full at or above this SoC (%)" }),
    saverAbove: Type.Number({ default: 30, minimum: 0, maximum: 100, description: "thresholds policy: saver at or above this SoC (%), survival below" }),
    hysteresis: Type.Number({ default: 5, minimum: 0, maximum: 50, description: "thresholds policy: points of SoC above a threshold needed to move up" }),
  }),
  vibration: Section({
    thresholdG: Type.Number({ default: 2, minimum: 0.01, maximum: 200, description: "Acceleration (g) that wakes the box to full" }),
    wake: Type.Integer({ default: 600, minimum: 1, maximum: 86400, description: "Seconds in full after a vibration wake" }),
    minSoc: Type.Number({ default: 15, minimum: 0, maximum: 100, description: "No vibration wake below this SoC (%)" }),
    edgeG: Type.Number({ default: 2, minimum: 0, maximum: 200, description: "g reported for an interrupt on the vibration GPIO (the accelerometer's own threshold)" }),
  }),
  historyDays: Type.Integer({ default: 14, minimum: 1, maximum: 365, description: "Days of hourly energy history kept (chart and forecast)" }),
  modes: Section({
    full: ModeSettings({ drawWatts: 7.7, pollScale: 1, batchInterval: 0, video: true, heartbeatInterval: 900, loraOnly: false, sipKeepalive: 0 }),
    saver: ModeSettings({ drawWatts: 1.8, pollScale: 10, batchInterval: 300, video: false, heartbeatInterval: 1800, loraOnly: false, sipKeepalive: 180 }),
    survival: ModeSettings({ drawWatts: 0.4, pollScale: 0, batchInterval: 3600, video: false, heartbeatInterval: 3600, loraOnly: true, sipKeepalive: 600 }),
  }),
});

export type EnergyConfig = Static<typeof EnergyConfig>;
