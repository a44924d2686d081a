// SIP over UDP (RFC 3261 18): one bound socket; every datagram is one message.
import type { Logger } from "../../core/logger.ts";
import type { Source } from "./types.ts";

export interface UdpOptions { host: string; port: number; log: Logger; onData: (data: Uint8Array, src: Source) => void }

export class UdpTransport {
  private sock: Awaited<ReturnType<typeof Bun.udpSocket>> | null = null;
  sendFailures = 0;
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
        data(_s, buf, port, address) { onData(buf, { transport: "udp", address, port }); },
        error: (_s: unknown, err: Error) => { this.o.log.warn("udp socket error", { error: String(err) }); },
      } as any,
    });
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
