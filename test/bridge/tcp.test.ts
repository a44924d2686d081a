// The conformance suite over Modbus TCP, pymodbus as the server.
import { freePort } from "../helpers/ports.ts";
import { conformance } from "./conformance.ts";
import { PyModbus } from "./pymodbus.ts";

let port = 0;
let py: PyModbus | null = null;
conformance("TCP", {
  async start() {
    port ||= await freePort();
    py = await new PyModbus({ mode: "tcp", port, units: [1, 2] }).start();
    return py;
  },
  async stop() { await py?.stop(); py = null; },
  address: () => ({ tcp: `127.0.0.1:${port}` }),
  async teardown() { await py?.stop(); },
});
