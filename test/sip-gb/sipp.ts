// Runs one sipp scenario from test/sip-gb/scenarios against a gateway and returns its exit code and
// output. sipp exits 0 when every call followed the scenario, non-zero otherwise.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeUdpTcpPort } from "../helpers/ports.ts";

export const SCENARIOS = join(import.meta.dir, "scenarios");

export interface SippRun { code: number; output: string; localPort: number }

export async function sipp(scenario: string, o: { port: number; device: string; password?: string; username?: string; expires?: number; calls?: number; localPort?: number; timeoutSec?: number; tcp?: boolean }): Promise<SippRun> {
  const localPort = o.localPort ?? (await freeUdpTcpPort());
  const dir = mkdtempSync(join(tmpdir(), "sipp-"));
  const args = [
    "sipp", `127.0.0.1:${o.port}`, "-sf", join(SCENARIOS, scenario), "-m", String(o.calls ?? 1), "-l", "1",
    "-s", o.device, "-key", "domain", "3402000000", "-key", "server", "34020000002000000001", "-key", "expires", String(o.expires ?? 3600),
    "-au", o.username ?? o.device, "-ap", o.password ?? "", "-i", "127.0.0.1", "-p", String(localPort),
    ...(o.tcp ? ["-t", "t1"] : []),
    "-nostdin", "-timeout", String(o.timeoutSec ?? 15), "-timeout_error", "-trace_err", "-error_file", join(dir, "errors.log"),
  ];
  const p = Bun.spawn(args, { cwd: dir, stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  const code = await p.exited;
  const errors = await Bun.file(join(dir, "errors.log")).text().catch(() => "");
  return { code, output: `${err}\n${errors}\n${out.slice(-2000)}`, localPort };
}
