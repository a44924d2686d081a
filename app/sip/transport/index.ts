// The transport layer (RFC 3261 18): UDP and TCP listeners, the per-source rate limit in front of both,
// and sending to a destination (IP literal, or a name resolved per send). Hands raw message bytes up;
// parsing is the engine's business.
import { isIP } from "node:net";
import { lookup } from "node:dns/promises";
import type { Logger } from "../../core/logger.ts";
import { RateLimiter, type RateLimitOptions } from "./rate-limit.ts";
import { TcpTransport } from "./tcp.ts";
import { UdpTransport } from "./udp.ts";
import type { Destination, SendError, Source } from "./types.ts";

export * from "./types.ts";
export { StreamFramer } from "./framer.ts";
export { RateLimiter } from "./rate-limit.ts";

export interface TransportOptions {
  /** "host:port" listen addresses; port 0 picks a free one (tests). */
  udp: string;
  tcp: string;
  maxMessageBytes: number;
  tcpIdleTimeoutSec: number;
  rateLimit: RateLimitOptions;
  log: Logger;
  now: () => number;
}

export function splitHostPort(hp: string): { host: string; port: number } {
  const i = hp.lastIndexOf(":");
  let host = hp.slice(0, i);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return { host: host || "0.0.0.0", port: Number(hp.slice(i + 1)) };
}

export class SipTransport {
  readonly udp: UdpTransport;
  readonly tcp: TcpTransport;
  readonly limiter: RateLimiter;
  received = 0;
  sent = 0;
  /** Set by the engine: every message that passed the rate limit. */
  onMessage: (data: Uint8Array, src: Source) => void = () => {};

  constructor(private readonly o: TransportOptions) {
    this.limiter = new RateLimiter(o.rateLimit, o.now);
    const onData = (data: Uint8Array, src: Source) => {
      if (!this.limiter.allow(src.address)) return;
      this.received++;
      try { this.onMessage(data, src); }
      catch (e) { o.log.error("sip receive handler failed", { error: String(e) }); }
    };
    const u = splitHostPort(o.udp), t = splitHostPort(o.tcp);
    this.udp = new UdpTransport({ host: u.host, port: u.port, log: o.log, onData });
    this.tcp = new TcpTransport({ host: t.host, port: t.port, log: o.log, maxMessageBytes: o.maxMessageBytes, idleTimeoutSec: o.tcpIdleTimeoutSec, onData });
  }

  /** Binds what is not bound yet; returns the errors of what could not be bound (port in use...). */
  async start(): Promise<string[]> {
    const errors: string[] = [];
    if (!this.udp.listening) { try { await this.udp.start(); } catch (e) { errors.push(`udp ${this.o.udp}: ${e instanceof Error ? e.message : String(e)}`); } }
    if (!this.tcp.listening) { try { await this.tcp.start(); } catch (e) { errors.push(`tcp ${this.o.tcp}: ${e instanceof Error ? e.message : String(e)}`); } }
    return errors;
  }

  stop(): void { this.tcp.stop(); this.udp.stop(); }

  get listening(): { udp: boolean; tcp: boolean } { return { udp: this.udp.listening, tcp: this.tcp.listening }; }

  /** Sends bytes; failures are reported through onError (never thrown). */
  send(dest: Destination | Source, data: Uint8Array, onError?: SendError): void {
    // A Source is an address the socket saw, always an IP: only a Destination's host may need a lookup.
    const isDest = "host" in dest;
    const host = isDest ? dest.host : dest.address;
    if (!isDest || isIP(host)) { this.sendTo(dest.transport, host, dest.port, dest.connId, data, onError); return; }
    lookup(host).then(
      (r) => this.sendTo(dest.transport, r.address, dest.port, dest.connId, data, onError),
      (e: Error) => onError?.(new Error(`cannot resolve ${host}: ${e.message}`)),
    );
  }

  private sendTo(transport: "udp" | "tcp", address: string, port: number, connId: number | undefined, data: Uint8Array, onError?: SendError): void {
    this.sent++;
    if (transport === "udp") {
      if (!this.udp.send(data, port, address)) onError?.(new Error(`udp send to ${address}:${port} failed`));
    } else this.tcp.send(data, address, port, connId, onError);
  }
}
