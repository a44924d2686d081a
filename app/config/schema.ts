// The one configuration schema. Each module owns its slice; this file only composes them.
// The same schema validates files, fills defaults and is served as JSON Schema (GET /api/config/schema).
import { Type, type Static } from "@sinclair/typebox";
import { HostPort, Section, Secret } from "./types.ts";
import { SipConfig } from "../sip/config.ts";

import { BridgeConfig } from "../bridge/config.ts";

import { EnergyConfig } from "../energy/config.ts";

const Level = Type.Union([Type.Literal("debug"), Type.Literal("info"), Type.Literal("warn"), Type.Literal("error")], { default: "info" });

export const ConfigSchema = Type.Object({
  gateway: Section({
    id: Type.String({ default: "gw-0001", pattern: "^[A-Za-z0-9_.-]{1,64}$", description: "MQTT client id and topic segment; unique per box" }),
    prefix: Type.String({ default: "gw", pattern: "^[A-Za-z0-9_.-]{1,64}$", description: "First MQTT topic segment" }),
  }),
  web: Section({
    listen: HostPort("0.0.0.0:8080", "HTTP listen address for the page and the API"),
    passwordHash: Secret("Provisioned admin password hash (Bun.password / argon2id); empty = set on first boot"),
    sessionTtl: Type.Integer({ default: 3600 * 8, minimum: 60, description: "Seconds a login session lasts" }),
  }),
  log: Section({
    level: Level,
  }),
  store: Section({
    maxBytes: Type.Integer({ default: 268435456, minimum: 65536, description: "Bound on buffered payload bytes; when full, oldest bulk then normal data is dropped, critical kept" }),
  }),
  uplink: Section({
    mqtt: Section({
      url: Type.String({ default: "mqtt://127.0.0.1:1883", pattern: "^(mqtts?|wss?)://", description: "Broker URL (mqtt://, mqtts://)" }),
      username: Type.String({ default: "" }),
      password: Secret("Broker password"),
      ca: Type.String({ default: "", description: "Path to CA certificate (PEM) for mqtts://" }),
      cert: Type.String({ default: "", description: "Path to client certificate (PEM)" }),
      key: Type.String({ default: "", description: "Path to client key (PEM)" }),
      insecure: Type.Boolean({ default: false, description: "Skip TLS server certificate verification (testing only)" }),
      keepalive: Type.Integer({ default: 30, minimum: 5, description: "MQTT keepalive seconds" }),
      protocolVersion: Type.Union([Type.Literal(5), Type.Literal(4)], { default: 5, description: "5 = MQTT 5; 4 = MQTT 3.1.1 for brokers that speak only that" }),
      batchPoints: Type.Integer({ default: 500, minimum: 1, maximum: 10000, description: "Most points in one telemetry message" }),
      maxInflight: Type.Integer({ default: 32, minimum: 1, maximum: 1000, description: "Most unacknowledged messages at once" }),
      reconnectMinMs: Type.Integer({ default: 1000, minimum: 100 }),
      reconnectMaxMs: Type.Integer({ default: 60000, minimum: 100 }),
    }),
  }),
  telemetry: Section({
    selfInterval: Type.Integer({ default: 60, minimum: 0, description: "Seconds between gateway self-telemetry points (0 = off)" }),
  }),
  health: Section({
    cpuMaxPercent: Type.Number({ default: 95, minimum: 1, maximum: 100 }),
    memMaxPercent: Type.Number({ default: 95, minimum: 1, maximum: 100 }),
    diskMaxPercent: Type.Number({ default: 95, minimum: 1, maximum: 100 }),
    uplinkRequired: Type.Boolean({ default: false, description: "Fail health while the uplink is not connected" }),
    bufferMaxPercent: Type.Number({ default: 90, minimum: 1, maximum: 100, description: "Fail health when the buffer is fuller than this" }),
  }),
  sip: SipConfig,

  bridge: BridgeConfig,

  energy: EnergyConfig,

  sim: Section({
    counter: Section({
      rateHz: Type.Number({ default: 0, minimum: 0, maximum: 100000, description: "sim-counter points per second (0 = off)" }),
    }),
  }),
}, { additionalProperties: false });

export type Config = Static<typeof ConfigSchema>;
