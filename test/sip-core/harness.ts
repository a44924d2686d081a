// Test harness: an engine on free loopback ports (no gateway), and minimal UDP/TCP peers that send
// raw bytes and collect what comes back, parsed.
import { SystemClock, type Clock } from "../../app/core/clock.ts";
import { LogHub } from "../../app/core/logger.ts";
import { validateConfig } from "../../app/config/validate.ts";
import { SipEngine } from "../../app/sip/engine.ts";
import { parse, type SipMessage } from "../../app/sip/message/index.ts";
import { StreamFramer } from "../../app/sip/transport/framer.ts";
import { freeUdpTcpPort } from "../helpers/ports.ts";
import { waitFor } from "../helpers/wait.ts";

export async function startEngine(sip: Record<string, unknown> = {}, clock: Clock = new SystemClock()) {
  const port = await freeUdpTcpPort();
  const v = validateConfig({ sip: { udp: `127.0.0.1:${port}`, tcp: `127.0.0.1:${port}`, ...sip } });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  const lines: string[] = [];
  const hub = new LogHub(() => clock.now(), (l) => lines.push(l));
  const engine = new SipEngine({ config: v.config.sip, clock, log: hub.for("sip") });
  await engine.start();
  if (!engine.listening.udp || !engine.listening.tcp) throw new Error(`engine not listening: ${engine.bindError}`);
  return { engine, port, hub, lines, stop: () => engine.stop() };
}

export const enc = (s: string) => new TextEncoder().encode(s.replace(/\r?\n/g, "\r\n"));

export class UdpPeer {
  sock!: import("bun").udp.Socket<"buffer">;
  readonly received: SipMessage[] = [];
  readonly raw: Uint8Array[] = [];
  static async open(): Promise<UdpPeer> {
    const p = new UdpPeer();
    p.sock = await Bun.udpSocket({
      hostname: "127.0.0.1",
      socket: { data: (_s: unknown, buf: Buffer) => { p.raw.push(new Uint8Array(buf)); const r = parse(buf); if (r.ok) p.received.push(r.message); } } as any,
    }) as import("bun").udp.Socket<"buffer">;
    return p;
  }
  get port(): number { return this.sock.port; }
  send(data: Uint8Array | string, port: number): void { this.sock.send(typeof data === "string" ? enc(data) : data, port, "127.0.0.1"); }
  async waitFor(n: number, what = `${n} messages`): Promise<SipMessage[]> {
    await waitFor(what, () => this.received.length >= n, 5000, 5);
    return this.received;
  }
  close(): void { this.sock.close(); }
}

export class TcpPeer {
  sock: any;
  readonly received: SipMessage[] = [];
  private framer = new StreamFramer(1 << 20);
  static async connect(port: number): Promise<TcpPeer> {
    const p = new TcpPeer();
    p.sock = await Bun.connect({
      hostname: "127.0.0.1", port,
      socket: { data: (_s, chunk) => { for (const m of p.framer.push(chunk).messages) { const r = parse(m); if (r.ok) p.received.push(r.message); } } },
    });
    return p;
  }
  get localPort(): number { return this.sock.localPort; }
  send(data: Uint8Array | string): void { this.sock.write(typeof data === "string" ? enc(data) : data); }
  async waitFor(n: number, what = `${n} messages`): Promise<SipMessage[]> {
    await waitFor(what, () => this.received.length >= n, 5000, 5);
    return this.received;
  }
  close(): void { this.sock.end(); }
}

let seq = 0;
/** An OPTIONS request text from a peer at 127.0.0.1:fromPort. */
export function options(toPort: number, fromPort: number, transport = "UDP", branch = `z9hG4bK-opt-${++seq}`): string {
  return `OPTIONS sip:127.0.0.1:${toPort} SIP/2.0
Via: SIP/2.0/${transport} 127.0.0.1:${fromPort};rport;branch=${branch}
From: <sip:tester@127.0.0.1>;tag=t${seq}
To: <sip:127.0.0.1:${toPort}>
Call-ID: opt-${seq}-${Date.now()}@127.0.0.1
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0

`;
}

/** A GB/T 28181-style MESSAGE; the body goes out as given (not CRLF-converted). */
export function message(fromPort: number, body: string | Uint8Array, branch = `z9hG4bK-msg-${++seq}`, callId = `msg-${seq}@127.0.0.1`): Uint8Array {
  const b = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const head = enc(`MESSAGE sip:34020000002000000001@3402000000 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:${fromPort};rport;branch=${branch}
From: <sip:34020000001320000001@3402000000>;tag=m${seq}
To: <sip:34020000002000000001@3402000000>
Call-ID: ${callId}
CSeq: 20 MESSAGE
Content-Type: Application/MANSCDP+xml
Max-Forwards: 70
Content-Length: ${b.length}

`);
  return Buffer.concat([head, b]);
}

/** A digest REGISTER as GB/T 28181 cameras send it (shared by the parser and fuzz tests). */
export const GB_REGISTER = `REGISTER sip:34020000002000000001@3402000000 SIP/2.0
Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1371463273
From: <sip:34020000001320000001@3402000000>;tag=2043466181
To: <sip:34020000001320000001@3402000000>
Call-ID: 1011047669
CSeq: 2 REGISTER
Contact: <sip:34020000001320000001@192.168.1.64:5060>
Authorization: Digest username="34020000001320000001", realm="3402000000", nonce="9bd055d6f4ae5a0b", uri="sip:34020000002000000001@3402000000", response="b3a1d6b5c0c2d8d5cdd0fcfa9b0a8e55", algorithm=MD5
Max-Forwards: 70
User-Agent: IP Camera
Expires: 3600
Content-Length: 0

`;
