// The `sip` config slice. The keys named in SPEC section 3 are fixed; the rest are ours.
// Transport-level keys live here (owned by the SIP core); platform keys in gb28181/config.ts.
import { Type } from "@sinclair/typebox";
import { HostPort, Section } from "../config/types.ts";
import { Gb28181Config } from "./gb28181/config.ts";

export const SipConfig = Section({
  gb28181: Gb28181Config,
  udp: HostPort("0.0.0.0:5060", "SIP UDP listen address"),
  tcp: HostPort("0.0.0.0:5060", "SIP TCP listen address"),
  enabled: Type.Boolean({ default: true, description: "Start the SIP engine" }),
});
