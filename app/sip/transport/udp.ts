// SIP over UDP (RFC 3261 18): one bound socket; every datagram is one message.
import type { Logger } from "../../core/logger.ts";
import type { Source } from "./types.ts";

export interface UdpOptions { host: string; port: number; log: Logger; onData: (data: Uint8Array, src: Source) => void }

export class UdpTransport {
  private sock: import("bun").udp.Socket<"uint8array"> | null = null;
  sendFailures = 0;
  truncated = 0;
  constructor(private readonly o: UdpOptions) {}

  get listening(): boolean { return this.sock !== null && !this.sock.closed; }
  get port(): number { return this.sock?.port ?? 0; }

  async start(): Promise<void> {
    const onData = this.o.onData;
    this.sock = await Bun.udpSocket({
      hostname: this.o.host,
      port: this.o.port,
      binaryType: "uint8array",
      socket: {
        data: (_s: unknown, buf: Uint8Array, port: number, address: string, flags?: { truncated?: boolean }) => {
          // A datagram cut by the receive buffer could parse as a different, shorter message: drop it.
          if (flags?.truncated) { this.truncated++; return; }
          onData(buf, { transport: "udp", address, port });
        },
        // ICMP errors (port unreachable after a peer went away) surface here; UDP carries on.
        error: (_s: unknown, err: unknown) => { this.o.log.debug("udp socket error", { error: String(err) }); },
      } as any,
    }) as import("bun").udp.Socket<"uint8array">;
  }

  /**
   * Sends one datagram. A full socket buffer only counts as a failure (UDP is lossy and the transaction
   * retransmits); false only for a hard error (closed socket, bad address).
   */
  send(data: Uint8Array, port: number, address: string): boolean {
    if (!this.sock) return false;
    try {
      if (!this.sock.send(data, port, address)) this.sendFailures++;
      return true;
    } catch (e) {
      this.sendFailures++;
      this.o.log.debug("udp send failed", { to: `${address}:${port}`, error: String(e) });
      return false;
    }
  }

  stop(): void { try { this.sock?.close(); } catch { /* closed */ } this.sock = null; }
}
