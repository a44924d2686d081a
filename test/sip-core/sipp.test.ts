// Integration with a real SIP peer: sipp (Debian sip-tester) against the engine over UDP and TCP.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../helpers/ports.ts";
import { startEngine } from "./harness.ts";
import { waitFor } from "../helpers/wait.ts";

const SCEN = join(import.meta.dir, "scenarios");
const cleanups: (() => void)[] = [];
afterEach(() => { while (cleanups.length) cleanups.pop()!(); });

async function sipp(scenario: string, port: number, extra: string[]): Promise<{ code: number; out: string }> {
  const local = await freePort();
  const p = Bun.spawn(["sipp", "-sf", join(SCEN, scenario), "-i", "127.0.0.1", "-p", String(local), "-timeout", "20s", "-timeout_error", "-nostdin", ...extra, `127.0.0.1:${port}`], {
    cwd: mkdtempSync(join(tmpdir(), "sipp-")), stdout: "pipe", stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code: await p.exited, out: out.slice(-2000) + err.slice(-2000) };
}

describe("sipp against the engine", () => {
  test("OPTIONS over UDP: every call gets 200", async () => {
    const e = await startEngine();
    cleanups.push(e.stop);
    const r = await sipp("options.xml", e.port, ["-m", "50", "-r", "200", "-l", "20"]);
    expect(r.code, r.out).toBe(0);
    expect(e.engine.stats().received).toBeGreaterThanOrEqual(50);
  }, 30_000);

  test("OPTIONS over TCP (one connection): every call gets 200", async () => {
    const e = await startEngine();
    cleanups.push(e.stop);
    const r = await sipp("options.xml", e.port, ["-t", "t1", "-m", "50", "-r", "200", "-l", "20"]);
    expect(r.code, r.out).toBe(0);
    expect(e.engine.stats().received).toBeGreaterThanOrEqual(50);
  }, 30_000);

  test("INVITE rejected with 486: sipp's ACK confirms the server transaction (no more 486s)", async () => {
    const e = await startEngine({ timers: { t1Ms: 50, t2Ms: 400, t4Ms: 200 } });
    cleanups.push(e.stop);
    const acks: (string | null)[] = [];
    e.engine.onRequest("INVITE", (_req, tx) => { tx.onAck((a) => acks.push(a ? a.method : null)); tx.respond(486); });
    const r = await sipp("invite-reject.xml", e.port, ["-m", "5", "-r", "50"]);
    expect(r.code, r.out).toBe(0);
    await waitFor("ACKs matched to their transactions", () => acks.length === 5, 5000, 10);
    expect(acks).toEqual(["ACK", "ACK", "ACK", "ACK", "ACK"]);
    expect(e.engine.stats().retransmissionsSent).toBe(0);
  }, 30_000);

  test("a retransmitted MESSAGE is answered from the transaction and handled once per call", async () => {
    const e = await startEngine();
    cleanups.push(e.stop);
    let handled = 0;
    e.engine.onRequest("MESSAGE", (_req, tx) => { handled++; tx.respond(200); });
    // -nr: sipp would otherwise take the second (identical) 200 for a retransmission of the first and resend.
    const r = await sipp("retransmit.xml", e.port, ["-m", "10", "-r", "100", "-nr"]);
    expect(r.code, r.out).toBe(0);
    expect(handled).toBe(10);
    expect(e.engine.stats().retransmissionsAbsorbed).toBe(10);
  }, 30_000);
});
