// A simulated Modbus TCP slave, the twin of a field meter: `make run` starts it (bridge.simSlave) so a
// new user sees live tags at once, and the bridge benchmark starts many. It answers function codes
// 1-6, 15 and 16 for any unit id, with exception 1 for other functions and 2 for addresses outside
// its 10,000 of each area.
//
// Models:
//   meter  holding 0-1 voltage float32 (≈230 V), 2-3 current float32, 4-5 frequency float32,
//          6 temperature int16 (0.1 °C), 7 status word (bits), 20-27 serial "SIM-METER-0001",
//          input 10-11 energy uint32 (Wh, rising), coils 0-3 relays (writable), discrete 0-3 inputs.
//   bench  every register and bit changes on every read (value = the connection's reads + address), so each poll
//          reports every tag: the worst case for the outbox.
//
// CLI:  bun hw/sim/modbus-slave.ts [--listen 127.0.0.1:1502] [--ports 20000-20099] [--model meter|bench]
export type SimModel = "meter" | "bench";
const SIZE = 10_000;

export class SimModbusSlave {
  readonly coils = new Uint8Array(SIZE);
  readonly discrete = new Uint8Array(SIZE);
  readonly holding = new Uint16Array(SIZE);
  readonly input = new Uint16Array(SIZE);
  requests = 0;
  private servers: { stop(force?: boolean): void }[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private energy = 123_456;
  private readonly t0 = Date.now();

  constructor(readonly model: SimModel = "meter") {
    if (model === "meter") {
      this.setString(20, "SIM-METER-0001", 16);
      this.tick();
    }
  }

  /** Listens on host:port; several calls listen on several ports (one slave per port for the bench). */
  listen(host: string, port: number): void {
    const self = this;
    const server = Bun.listen<{ buf: Uint8Array; reads: number[] }>({
      hostname: host, port,
      socket: {
        open(s) { s.data = { buf: new Uint8Array(0), reads: [0, 0, 0, 0, 0] }; },
        data(s, chunk) {
          let buf = s.data.buf.length ? concat(s.data.buf, chunk) : new Uint8Array(chunk);
          // MBAP (TCP spec 3.1.3): 7-byte header, length counts unit + PDU.
          while (buf.length >= 7) {
            const len = (buf[4] << 8) | buf[5];
            if (len < 2 || len > 254) { s.end(); return; }
            if (buf.length < 6 + len) break;
            const fc = buf[7];
            if (fc >= 1 && fc <= 4) s.data.reads[fc]++;
            const pdu = self.handle(buf.subarray(7, 6 + len), fc >= 1 && fc <= 4 ? s.data.reads[fc] : 0);
            const out = new Uint8Array(7 + pdu.length);
            out.set(buf.subarray(0, 4));
            out[4] = (pdu.length + 1) >> 8; out[5] = (pdu.length + 1) & 0xff; out[6] = buf[6];
            out.set(pdu, 7);
            s.write(out);
            buf = buf.subarray(6 + len);
          }
          s.data.buf = buf.slice();
        },
        error() {},
      },
    });
    this.servers.push(server);
    if (this.model === "meter" && !this.timer) this.timer = setInterval(() => this.tick(), 1000);
  }

  stop(): void {
    for (const s of this.servers) s.stop(true);
    this.servers = [];
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Meter physics: mains voltage and frequency wander, load follows a slow cycle, energy counts up. */
  tick(): void {
    const t = (Date.now() - this.t0) / 1000;
    const v = 230 + 3 * Math.sin(t / 20) + (Math.random() - 0.5);
    const i = 5 + 4 * Math.sin(t / 60) ** 2;
    this.setFloat32(0, v);
    this.setFloat32(2, i);
    this.setFloat32(4, 50 + 0.05 * Math.sin(t / 7));
    this.holding[6] = Math.round(215 + 30 * Math.sin(t / 300)) & 0xffff;
    this.holding[7] = (this.coils[0] ? 1 : 0) | (this.discrete[0] ? 2 : 0) | 0x8000;
    this.energy += (v * i) / 3600;                          // Wh in one second
    const wh = Math.floor(this.energy) >>> 0;
    this.input[10] = wh >>> 16;
    this.input[11] = wh & 0xffff;
    this.discrete[0] = Math.floor(t / 10) % 2;
    this.discrete[1] = 1;
  }

  setFloat32(address: number, v: number): void {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setFloat32(0, v);
    this.holding[address] = dv.getUint16(0);
    this.holding[address + 1] = dv.getUint16(2);
  }

  setString(address: number, s: string, bytes: number): void {
    const b = new Uint8Array(bytes);
    b.set(new TextEncoder().encode(s).subarray(0, bytes));
    for (let k = 0; k < bytes; k += 2) this.holding[address + k / 2] = (b[k] << 8) | b[k + 1];
  }

  /** One request PDU → one response PDU (application spec section 6). */
  /** `tick` counts this connection's reads of this kind: the bench model's values move with it. */
  handle(req: Uint8Array, tick = this.requests): Uint8Array {
    this.requests++;
    const fc = req[0];
    const exc = (code: number) => Uint8Array.from([fc | 0x80, code]);
    if (req.length < 5) return exc(3);
    const addr = (req[1] << 8) | req[2], n = (req[3] << 8) | req[4];
    switch (fc) {
      case 1: case 2: {
        if (n < 1 || n > 2000) return exc(3);
        if (addr + n > SIZE) return exc(2);
        const src = fc === 1 ? this.coils : this.discrete;
        const out = new Uint8Array(2 + Math.ceil(n / 8));
        out[0] = fc; out[1] = out.length - 2;
        const bench = this.model === "bench";
        for (let k = 0; k < n; k++) if (bench ? (tick + k) & 1 : src[addr + k]) out[2 + (k >> 3)] |= 1 << (k & 7);
        return out;
      }
      case 3: case 4: {
        if (n < 1 || n > 125) return exc(3);
        if (addr + n > SIZE) return exc(2);
        const src = fc === 3 ? this.holding : this.input;
        const out = new Uint8Array(2 + n * 2);
        out[0] = fc; out[1] = n * 2;
        const bench = this.model === "bench";
        for (let k = 0; k < n; k++) { const v = bench ? (tick + addr + k) & 0xffff : src[addr + k]; out[2 + 2 * k] = v >> 8; out[3 + 2 * k] = v & 0xff; }
        return out;
      }
      case 5:
        if (addr >= SIZE) return exc(2);
        if (n !== 0xff00 && n !== 0) return exc(3);
        this.coils[addr] = n ? 1 : 0;
        return req.slice(0, 5);
      case 6:
        if (addr >= SIZE) return exc(2);
        this.holding[addr] = n;
        return req.slice(0, 5);
      case 15: {
        if (addr + n > SIZE) return exc(2);
        if (req.length < 6 + Math.ceil(n / 8)) return exc(3);
        for (let k = 0; k < n; k++) this.coils[addr + k] = (req[6 + (k >> 3)] >> (k & 7)) & 1;
        return req.slice(0, 5);
      }
      case 16: {
        if (addr + n > SIZE) return exc(2);
        if (req.length < 6 + n * 2) return exc(3);
        for (let k = 0; k < n; k++) this.holding[addr + k] = (req[6 + 2 * k] << 8) | req[7 + 2 * k];
        return req.slice(0, 5);
      }
      default: return exc(1);
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a); out.set(b, a.length);
  return out;
}

/** The config a gateway needs to poll the meter model (used by hw/boards/sim/gateway.yaml and docs). */
export const SIM_METER_TAGS = [
  { name: "voltage", area: "holding", address: 0, type: "float32", deadband: 0.5 },
  { name: "current", area: "holding", address: 2, type: "float32", deadband: 0.05 },
  { name: "frequency", area: "holding", address: 4, type: "float32", deadband: 0.01 },
  { name: "temperature", area: "holding", address: 6, type: "int16", scale: 0.1 },
  { name: "alarm", area: "holding", address: 7, type: "bit", bit: 15 },
  { name: "serial", area: "holding", address: 20, type: "string", length: 16 },
  { name: "energy", area: "input", address: 10, type: "uint32" },
  { name: "relay1", area: "coil", address: 0, type: "bool", writable: true },
  { name: "door", area: "discrete", address: 0, type: "bool" },
];

if (import.meta.main) {
  const arg = (k: string) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1] : undefined; };
  const model = (arg("--model") ?? "meter") as SimModel;
  const slave = new SimModbusSlave(model);
  const ports = arg("--ports");
  const listen = arg("--listen") ?? "127.0.0.1:1502";
  const host = listen.slice(0, listen.lastIndexOf(":"));
  if (ports) {
    const [a, b] = ports.split("-").map(Number);
    for (let p = a; p <= (b ?? a); p++) slave.listen(host, p);
    console.log(JSON.stringify({ ready: true, ports: [a, b ?? a], model }));
  } else {
    slave.listen(host, Number(listen.slice(listen.lastIndexOf(":") + 1)));
    console.log(JSON.stringify({ ready: true, listen, model }));
  }
  process.on("SIGTERM", () => { slave.stop(); process.exit(0); });
}
