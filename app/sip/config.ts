// The `sip` config slice. The keys named in SPEC section 3 are fixed; the rest are ours.
import { Type } from "@sinclair/typebox";
import { HostPort, Section, Secret } from "../config/types.ts";

export const SipConfig = Section({
  udp: HostPort("0.0.0.0:5060", "SIP UDP listen address (empty host = all)"),
  tcp: HostPort("0.0.0.0:5060", "SIP TCP listen address"),
  enabled: Type.Boolean({ default: true, description: "Start the SIP engine" }),
  gb28181: Section({
    serverId: Type.String({ default: "34020000002000000001", pattern: "^[0-9]{20}$", description: "Platform SIP ID (20 digits)" }),
    domain: Type.String({ default: "3402000000", pattern: "^[0-9]{10}$", description: "SIP domain / realm (10 digits)" }),
    password: Secret("Global device password; per-device passwords override"),
    keepaliveInterval: Type.Integer({ default: 60, minimum: 1, description: "Expected seconds between device keepalives" }),
    keepaliveTimeoutCount: Type.Integer({ default: 3, minimum: 1, description: "Missed keepalives before offline" }),
    queryOnRegister: Type.Boolean({ default: true, description: "Send Catalog and DeviceInfo queries after REGISTER" }),
  }),
});
