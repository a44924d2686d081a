// N simulated GB/T 28181 cameras over UDP (GB/T 28181-2016 9.1 registration with digest, 9.3
// keepalive, A.2.4/A.2.6 Catalog and DeviceInfo answers). Cameras share a few sockets (each socket a
// distinct source port); responses are matched to requests by Via branch, requests to cameras by the
// Request-URI/To user. Requests are retransmitted as a UDP client transaction does (Timer E: T1
// doubling to T2; given up after 32 s = Timer F).
import { encodeGbk, h, parse, request, response, token, authorization, type Msg } from "./sip.ts";

export interface FleetOptions {
  count: number;
  server: { host: string; port: number };
  bind?: string;
  sockets?: number;
  prefix?: string;          // device IDs: prefix + zero-padded index, 20 digits in all
  start?: number;
  password?: string;
  /** Digest username; default the device ID. */
  username?: string;
  domain?: string;
  serverId?: string;
  keepalive?: number;       // seconds
  expires?: number;         // seconds
  channels?: number;
  perPacket?: number;       // Catalog items per MESSAGE
  ramp?: number;            // registrations started per second (0 = all at once)
  log?: (line: string) => void;
}

type Pending = { data: Uint8Array; sock: Sock; tries: number; timer: ReturnType<typeof setTimeout> | null; started: number; done: (m: Msg | null) => void };
type Sock = import("bun").udp.Socket<"buffer">;

export class Camera {
  state: "idle" | "registering" | "registered" | "failed" | "silent" | "unregistered" = "idle";
  lastStatus = 0;
  private cseq = 1;
  private readonly callId = `${token(6)}@sim`;
  private readonly tag = token(4);
  private kaTimer: ReturnType<typeof setTimeout> | null = null;
  private reTimer: ReturnType<typeof setTimeout> | null = null;
  private sn = 1;
  constructor(readonly id: string, readonly index: number, readonly sock: Sock, private readonly fleet: Fleet) {}

  get local(): string { return `${this.sock.address.address}:${this.sock.address.port}`; }
  private get o() { return this.fleet.o; }
  private get domain() { return this.o.domain ?? "3402000000"; }
  private get serverUri() { return `sip:${this.o.serverId ?? "34020000002000000001"}@${this.domain}`; }

  private headers(method: string, branch: string, cseq: number, extra: [string, string][]): [string, string][] {
    return [
      ["Via", `SIP/2.0/UDP ${this.local};rport;branch=z9hG4bK${branch}`],
      ["From", `<sip:${this.id}@${this.domain}>;tag=${this.tag}`],
      ["To", method === "REGISTER" ? `<sip:${this.id}@${this.domain}>` : `<${this.serverUri}>`],
      ["Call-ID", method === "REGISTER" ? this.callId : `${token(6)}@sim`],
      ["CSeq", `${cseq} ${method}`],
      ["Max-Forwards", "70"],
      ["User-Agent", "sim-devices"],
      ...extra,
    ];
  }

  /** REGISTER; on 401 answers the challenge once. Resolves with the final status (0 = no answer). */
  async register(expires = this.o.expires ?? 3600): Promise<number> {
    if (expires > 0) this.state = "registering";
    let auth: [string, string][] = [];
    for (let round = 0; round < 3; round++) {
      const branch = token(8);
      const extra: [string, string][] = [["Contact", `<sip:${this.id}@${this.local}>`], ["Expires", String(expires)], ...auth];
      const res = await this.fleet.send(this.sock, request("REGISTER", this.serverUri, this.headers("REGISTER", branch, this.cseq++, extra)), branch);
      this.lastStatus = res?.status ?? 0;
      if (res && res.status === 401 && round < 2) {
        const ch = h(res, "www-authenticate") ?? "";
        auth = [["Authorization", authorization(ch, this.o.username ?? this.id, this.o.password ?? "", "REGISTER", this.serverUri)]];
        continue;
      }
      if (res && res.status === 423 && round < 2) { expires = Number(h(res, "min-expires") ?? expires); continue; }
      break;
    }
    this.fleet.stats.registerStatus[this.lastStatus] = (this.fleet.stats.registerStatus[this.lastStatus] ?? 0) + 1;
    if (expires === 0) { this.state = "unregistered"; this.stopTimers(); return this.lastStatus; }
    if (this.lastStatus === 200) {
      this.state = "registered";
      this.scheduleKeepalive();
      if (this.reTimer) clearTimeout(this.reTimer);
      this.reTimer = setTimeout(() => { if (this.state === "registered") void this.register(); }, Math.max(1, expires * 0.8) * 1000);
    } else this.state = "failed";
    return this.lastStatus;
  }

  async unregister(): Promise<number> { this.stopTimers(); return await this.register(0); }

  /** Stops sending and answering anything (a camera unplugged). */
  silence(): void { this.state = "silent"; this.stopTimers(); }

  async bye(): Promise<number> {
    const branch = token(8);
    const res = await this.fleet.send(this.sock, request("BYE", this.serverUri, this.headers("BYE", branch, this.cseq++, [])), branch);
    return res?.status ?? 0;
  }

  async keepalive(): Promise<number> {
    const body = new TextEncoder().encode(`<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>${this.sn++}</SN>\r\n<DeviceID>${this.id}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`);
    const res = await this.message(body);
    const st = res?.status ?? 0;
    if (st === 200) this.fleet.stats.keepalivesOk++; else this.fleet.stats.keepalivesFailed++;
    // A camera whose keepalive is refused registers again (GB/T 28181-2016 9.6.1).
    if (st === 404 || st === 403) void this.register();
    return st;
  }

  private async message(body: Uint8Array): Promise<Msg | null> {
    const branch = token(8);
    return await this.fleet.send(this.sock, request("MESSAGE", this.serverUri, this.headers("MESSAGE", branch, this.cseq++, [["Content-Type", "Application/MANSCDP+xml"]]), body), branch);
  }

  private scheduleKeepalive(): void {
    if (this.kaTimer) clearTimeout(this.kaTimer);
    const every = (this.o.keepalive ?? 60) * 1000;
    const tick = () => {
      if (this.state !== "registered") return;
      void this.keepalive();
      this.kaTimer = setTimeout(tick, every);
    };
    this.kaTimer = setTimeout(tick, every);
  }

  private stopTimers(): void {
    if (this.kaTimer) clearTimeout(this.kaTimer);
    if (this.reTimer) clearTimeout(this.reTimer);
    this.kaTimer = this.reTimer = null;
  }

  /** A request from the gateway (a query MESSAGE). */
  onRequest(m: Msg, reply: (data: Uint8Array) => void): void {
    if (this.state === "silent") return;
    if (m.method !== "MESSAGE") { reply(response(m, m.method === "OPTIONS" ? 200 : 481, m.method === "OPTIONS" ? "OK" : "Call/Transaction Does Not Exist", this.tag)); return; }
    reply(response(m, 200, "OK", this.tag));
    const text = new TextDecoder().decode(m.body);
    const cmd = /<CmdType>\s*(\w+)\s*</.exec(text)?.[1];
    const sn = /<SN>\s*(\d+)\s*</.exec(text)?.[1] ?? "0";
    this.fleet.stats.queries++;
    if (cmd === "Catalog") void this.answerCatalog(sn);
    else if (cmd === "DeviceInfo") void this.message(gbk(`<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<CmdType>DeviceInfo</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${this.id}</DeviceID>\r\n<DeviceName>模拟摄像机 ${this.index}</DeviceName>\r\n<Result>OK</Result>\r\n<Manufacturer>SimCam</Manufacturer>\r\n<Model>SC-1</Model>\r\n<Firmware>1.0</Firmware>\r\n<Channel>${this.o.channels ?? 1}</Channel>\r\n</Response>\r\n`));
  }

  private async answerCatalog(sn: string): Promise<void> {
    const n = this.o.channels ?? 1, per = Math.max(1, this.o.perPacket ?? 2);
    for (let i = 0; i < Math.max(1, Math.ceil(n / per)); i++) {
      const items: string[] = [];
      for (let j = i * per; j < Math.min(n, (i + 1) * per); j++) {
        const ch = `${this.id.slice(0, 10)}131${String(this.index * 100 + j + 1).padStart(7, "0")}`;
        items.push(`<Item>\r\n<DeviceID>${ch}</DeviceID>\r\n<Name>通道 ${j + 1} R&D</Name>\r\n<Manufacturer>SimCam</Manufacturer>\r\n<Status>ON</Status>\r\n<ParentID>${this.id}</ParentID>\r\n</Item>`);
      }
      await this.message(gbk(`<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<CmdType>Catalog</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${this.id}</DeviceID>\r\n<SumNum>${n}</SumNum>\r\n<DeviceList Num="${items.length}">\r\n${items.join("\r\n")}\r\n</DeviceList>\r\n</Response>\r\n`));
    }
  }
}

function gbk(s: string): Uint8Array { return encodeGbk(s); }

export class Fleet {
  readonly cameras: Camera[] = [];
  readonly byId = new Map<string, Camera>();
  private readonly pending = new Map<string, Pending>();
  private readonly socks: Sock[] = [];
  readonly stats = { registerStatus: {} as Record<number, number>, keepalivesOk: 0, keepalivesFailed: 0, queries: 0, retransmits: 0, timeouts: 0 };
  constructor(readonly o: FleetOptions) {}

  async open(): Promise<this> {
    const n = Math.max(1, Math.min(this.o.sockets ?? Math.min(this.o.count, 100), this.o.count));
    for (let i = 0; i < n; i++) {
      const sock: Sock = await Bun.udpSocket<"buffer">({
        hostname: this.o.bind ?? "127.0.0.1",
        socket: { data: (s, buf, port, addr) => this.onData(s as Sock, new Uint8Array(buf), port, addr) },
      });
      this.socks.push(sock);
    }
    const prefix = this.o.prefix ?? "34020000001320";
    for (let i = 0; i < this.o.count; i++) {
      const id = `${prefix}${String((this.o.start ?? 1) + i).padStart(20 - prefix.length, "0")}`;
      const cam = new Camera(id, i, this.socks[i % n], this);
      this.cameras.push(cam);
      this.byId.set(id, cam);
    }
    return this;
  }

  /** Registers every camera, `ramp` per second (0: all at once); resolves when all have a final answer. */
  async registerAll(ramp = this.o.ramp ?? 0): Promise<Record<number, number>> {
    const results: Promise<number>[] = [];
    const t0 = performance.now();
    for (const [i, cam] of this.cameras.entries()) {
      if (ramp > 0) { const due = t0 + (i / ramp) * 1000; const wait = due - performance.now(); if (wait > 0) await Bun.sleep(wait); }
      results.push(cam.register());
    }
    const out: Record<number, number> = {};
    for (const s of await Promise.all(results)) out[s] = (out[s] ?? 0) + 1;
    return out;
  }

  send(sock: Sock, data: Uint8Array, branch: string): Promise<Msg | null> {
    return new Promise((resolve) => {
      const p: Pending = { data, sock, tries: 0, timer: null, started: Date.now(), done: resolve };
      this.pending.set(`z9hG4bK${branch}`, p);
      this.transmit(`z9hG4bK${branch}`, p);
    });
  }

  private transmit(key: string, p: Pending): void {
    p.sock.send(p.data, this.o.server.port, this.o.server.host);
    const wait = Math.min(500 * 2 ** p.tries, 4000);
    p.tries++;
    p.timer = setTimeout(() => {
      if (!this.pending.has(key)) return;
      if (Date.now() - p.started >= 32_000) { this.pending.delete(key); this.stats.timeouts++; p.done(null); return; }
      this.stats.retransmits++;
      this.transmit(key, p);
    }, wait);
  }

  private onData(sock: Sock, buf: Uint8Array, port: number, addr: string): void {
    const m = parse(buf);
    if (!m) return;
    if (m.kind === "res") {
      if (m.status < 200) return;
      const branch = /branch=([^;,\s]+)/.exec(h(m, "via") ?? "")?.[1] ?? "";
      const p = this.pending.get(branch);
      if (!p) return;
      this.pending.delete(branch);
      if (p.timer) clearTimeout(p.timer);
      p.done(m);
      return;
    }
    const user = /sip:([^@;>]+)@/.exec(m.uri)?.[1] ?? /sip:([^@;>]+)@/.exec(h(m, "to") ?? "")?.[1] ?? "";
    const cam = this.byId.get(user);
    if (!cam) { sock.send(response(m, 404, "Not Found", token(4)), port, addr); return; }
    cam.onRequest(m, (data) => sock.send(data, port, addr));
  }

  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.cameras) out[c.state] = (out[c.state] ?? 0) + 1;
    return out;
  }

  close(): void {
    for (const c of this.cameras) c.silence();
    for (const p of this.pending.values()) if (p.timer) clearTimeout(p.timer);
    this.pending.clear();
    for (const s of this.socks) s.close();
  }
}
