// The `sip.gb28181` config slice: platform identity, device passwords, liveness. Keys named in
// SPEC section 3 are fixed (the first six); the rest are the gb28181 module's and are documented in
// the README table "sip.gb28181".
import { Type } from "@sinclair/typebox";
import { Section, Secret } from "../../config/types.ts";

export const Gb28181Config = Section({
  serverId: Type.String({ default: "34020000002000000001", pattern: "^[0-9]{20}$", description: "Platform SIP ID (20 digits)" }),
  domain: Type.String({ default: "3402000000", pattern: "^[0-9]{10}$", description: "SIP domain / realm (10 digits)" }),
  password: Secret("Global device password; per-device passwords override"),
  keepaliveInterval: Type.Integer({ default: 60, minimum: 1, description: "Expected seconds between device keepalives" }),
  keepaliveTimeoutCount: Type.Integer({ default: 3, minimum: 1, description: "Missed keepalives before offline" }),
  queryOnRegister: Type.Boolean({ default: true, description: "Send Catalog and DeviceInfo queries after REGISTER" }),

  devices: Type.Array(Section({
    id: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.+-]+$", description: "Device ID (the digest username must equal it)" }),
    password: Secret("This device's own password (overrides sip.gb28181.password)"),
    name: Type.String({ default: "", description: "Label shown in the API" }),
  }), { default: [], description: "Devices with their own password" }),
  minExpires: Type.Integer({ default: 60, minimum: 1, description: "Shortest registration accepted; below it 423 Interval Too Brief" }),
  maxExpires: Type.Integer({ default: 86400, minimum: 1, description: "Longer registrations are shortened to this" }),
  defaultExpires: Type.Integer({ default: 3600, minimum: 1, description: "Registration length when the REGISTER names none" }),
  nonceTtl: Type.Integer({ default: 300, minimum: 5, description: "Seconds a digest nonce stays valid; later a 401 with stale=true" }),
  ban: Section({
    maxFailures: Type.Integer({ default: 3, minimum: 0, description: "Wrong passwords (per device ID or per source IP) before a ban; 0 disables bans" }),
    windowSeconds: Type.Integer({ default: 600, minimum: 1, description: "Failures older than this are forgotten" }),
    seconds: Type.Integer({ default: 600, minimum: 1, description: "Length of a ban" }),
    bySource: Type.Boolean({ default: true, description: "Also ban the source IP (not only the device ID)" }),
  }),
  catalogTimeoutMs: Type.Integer({ default: 10000, minimum: 100, description: "Wait this long for the rest of a multi-packet Catalog" }),
  queryPerSecond: Type.Integer({ default: 50, minimum: 1, description: "Pace of the queries sent to devices (after REGISTER and to re-verify each device after a gateway restart)" }),
  transitionsKept: Type.Integer({ default: 50, minimum: 1, description: "Recent online/offline transitions kept per device" }),
});
