// The `sip` config slice. The keys named in SPEC section 3 are fixed; the rest are ours.
// Transport-level keys live here (owned by the SIP core); platform keys in gb28181/config.ts.
import { Type, type Static } from "@sinclair/typebox";
import { HostPort, Section } from "../config/types.ts";
import { Gb28181Config } from "./gb28181/config.ts";

export const SipRateLimitConfig = Section({
  perSecond: Type.Number({ default: 100, minimum: 0, description: "Messages per second accepted from one source IP (0 = unlimited)" }),
  burst: Type.Integer({ default: 300, minimum: 1, description: "Messages one source IP may send in a burst above the rate" }),
  maxSources: Type.Integer({ default: 20000, minimum: 1, description: "Source IPs tracked by the rate limiter" }),
});

export const SipTimersConfig = Section({
  t1Ms: Type.Integer({ default: 500, minimum: 1, description: "RFC 3261 T1: RTT estimate; retransmission start and 64*T1 timeouts" }),
  t2Ms: Type.Integer({ default: 4000, minimum: 1, description: "RFC 3261 T2: longest retransmission interval" }),
  t4Ms: Type.Integer({ default: 5000, minimum: 0, description: "RFC 3261 T4: how long a message may stay in the network" }),
});

export const SipConfig = Section({
  gb28181: Gb28181Config,
  udp: HostPort("0.0.0.0:5060", "SIP UDP listen address"),
  tcp: HostPort("0.0.0.0:5060", "SIP TCP listen address"),
  enabled: Type.Boolean({ default: true, description: "Start the SIP engine" }),
  advertisedHost: Type.String({ default: "", description: "Host put in Via/Contact of what we send; empty = the listen address, or the first non-loopback IPv4 when listening on 0.0.0.0" }),
  userAgent: Type.String({ default: "field-gateway", description: "User-Agent / Server header value (empty = none)" }),
  maxMessageBytes: Type.Integer({ default: 65535, minimum: 1024, maximum: 1048576, description: "Largest SIP message accepted (bigger ones are dropped; a TCP connection is closed)" }),
  tcpIdleTimeout: Type.Integer({ default: 600, minimum: 0, description: "Seconds before an idle TCP connection is closed (0 = never)" }),
  rateLimit: SipRateLimitConfig,
  timers: SipTimersConfig,
});

export type SipConfigT = Static<typeof SipConfig>;
