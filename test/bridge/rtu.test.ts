// The conformance suite over Modbus RTU: pymodbus as an RTU server on one end of a socat pty pair,
// the gateway's RTU client (node:fs + stty, no native addon) on the other.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { conformance } from "./conformance.ts";
import { PtyPair, PyModbus } from "./pymodbus.ts";

const pty = new PtyPair(join(mkdtempSync(join(tmpdir(), "rtu-")), "pty"));
let py: PyModbus | null = null;
conformance("RTU", {
  async start() {
    if (!pty.proc || pty.proc.exitCode !== null) await pty.start();
    py = await new PyModbus({ mode: "rtu", device: pty.a, baud: 19200, units: [1, 2] }).start();
    return py;
  },
  async stop() { await py?.stop(); py = null; },
  address: () => ({ rtu: { port: pty.b, baud: 19200, parity: "none", dataBits: 8, stopBits: 2 } }),
  async teardown() { await py?.stop(); await pty.stop(); },
});
