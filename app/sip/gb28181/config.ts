// The `sip.gb28181` config slice: platform identity, device passwords, liveness. Keys named in
// SPEC section 3 are fixed; the rest are the gb28181 module's to add.
import { Type } from "@sinclair/typebox";
import { Section, Secret } from "../../config/types.ts";

export const Gb28181Config = Section({
  serverId: Type.String({ default: "34020000002000000001", pattern: "^[0-9]{20}$", description: "Platform SIP ID (20 digits)" }),
  domain: Type.String({ default: "3402000000", pattern: "^[0-9]{10}$", description: "SIP domain / realm (10 digits)" }),
  password: Secret("Global device password; per-device passwords override"),
  keepaliveInterval: Type.Integer({ default: 60, minimum: 1, description: "Expected seconds between device keepalives" }),
  keepaliveTimeoutCount: Type.Integer({ default: 3, minimum: 1, description: "Missed keepalives before offline" }),
  queryOnRegister: Type.Boolean({ default: true, description: "Send Catalog and DeviceInfo queries after REGISTER" }),
});
