// SIP over UDP (RFC 3261 18): one bound socket; every datagram is one message.
import type { Logger } from "../../core/logger.ts";
import type { Source } from "./types.ts";

/** Most datagrams per sendMany. */
const BATCH = 16;

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
   * Queues one datagram; everything queued while the event loop handles the current batch of reads goes
   * out in one sendMany (sendmmsg) when it is done. At thousands of messages per second the per-packet
   * send syscall was the engine's largest cost. A full socket buffer only counts as a failure (UDP is
   * lossy and the transaction retransmits); false only when the socket is closed.
   */
  send(data: Uint8Array, port: number, address: string): boolean {
    if (!this.sock) return false;
    this.out.push(data, port, address);
    // Small batches: a large burst of responses overflows a slow peer's receive buffer.
    if (this.out.length >= 3 * BATCH) this.flush();
    else if (!this.flushing) { this.flushing = true; setImmediate(this.flush); }
    return true;
  }

  private out: (Uint8Array | number | string)[] = [];
  private flushing = false;
  private readonly flush = (): void => {
    this.flushing = false;
    const packets = this.out;
    if (!packets.length) return;
    this.out = [];
    if (!this.sock || !packets.length) return;
    const n = packets.length / 3;
    try {
      const sent = n === 1 ? (this.sock.send(packets[0] as Uint8Array, packets[1] as number, packets[2] as string) ? 1 : 0) : this.sock.sendMany(packets);
      if (sent < n) this.sendFailures += n - sent;
    } catch {
      // One bad destination must not lose the others: retry one by one.
      for (let i = 0; i < packets.length; i += 3) {
        try { if (!this.sock.send(packets[i] as Uint8Array, packets[i + 1] as number, packets[i + 2] as string)) this.sendFailures++; }
        catch (e) { this.sendFailures++; this.o.log.debug("udp send failed", { to: `${packets[i + 2]}:${packets[i + 1]}`, error: String(e) }); }
      }
    }
  };

  stop(): void { this.flush(); try { this.sock?.close(); } catch { /* closed */ } this.sock = null; }
}
