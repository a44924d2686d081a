// Runs `gateway run` as a real process (bun app/main.ts, or a compiled executable) with a config
// written by the test, and tears it down. Used by the integration suites.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, freeUdpTcpPort } from "./ports.ts";
import { Fatal, waitFor } from "./wait.ts";

export const ROOT = resolve(import.meta.dir, "../..");

export interface GatewayProcessOptions {
  /** YAML text or an object (written as JSON, which is YAML). web.listen is filled in when absent. */
  config?: Record<string, any>;
  dataDir?: string;
  /** Command to run instead of `bun app/main.ts` (e.g. a compiled executable, or qemu + executable). */
  command?: string[];
  env?: Record<string, string>;
}

export class GatewayProcess {
  proc: ReturnType<typeof Bun.spawn> | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), "gw-"));
  dataDir: string;
  configPath: string;
  webPort = 0;
  output = "";
  constructor(private readonly opts: GatewayProcessOptions = {}) {
    this.dataDir = opts.dataDir ?? join(this.dir, "data");
    this.configPath = join(this.dir, "gateway.yaml");
  }

  get base(): string { return `http://127.0.0.1:${this.webPort}`; }

  async start(waitHealthy = true): Promise<this> {
    const config = structuredClone(this.opts.config ?? {});
    config.web ??= {};
    if (!config.web.listen) { this.webPort = this.webPort || (await freePort()); config.web.listen = `127.0.0.1:${this.webPort}`; }
    else this.webPort = Number(String(config.web.listen).split(":").pop());
    // SIP on a free port unless the test chose one: 5060 may be taken by another suite or the host.
    config.sip ??= {};
    if (config.sip.enabled !== false && !config.sip.udp && !config.sip.tcp) {
      const p = await freeUdpTcpPort();
      config.sip.udp = `127.0.0.1:${p}`;
      config.sip.tcp = `127.0.0.1:${p}`;
    }
    writeFileSync(this.configPath, JSON.stringify(config, null, 2));
    const cmd = this.opts.command ?? [process.execPath, join(ROOT, "app/main.ts")];
    this.proc = Bun.spawn([...cmd, "run", "--config", this.configPath, "--data", this.dataDir], {
      cwd: this.dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...this.opts.env },
    });
    const pump = async (s: ReadableStream<Uint8Array>) => { for await (const c of s) this.output += new TextDecoder().decode(c); };
    void pump(this.proc.stdout as ReadableStream<Uint8Array>);
    void pump(this.proc.stderr as ReadableStream<Uint8Array>);
    if (waitHealthy) await waitFor(`gateway web on ${this.webPort}`, async () => {
      if (this.proc?.exitCode !== null) throw new Fatal(`gateway exited ${this.proc?.exitCode}: ${this.output}`);
      const r = await fetch(`${this.base}/api/health`).catch(() => null);
      return r !== null;
    }, 20_000, 50);
    return this;
  }

  async kill(signal: "SIGKILL" | "SIGTERM" = "SIGKILL"): Promise<number> {
    if (!this.proc) return 0;
    this.proc.kill(signal);
    const code = await this.proc.exited;
    this.proc = null;
    return code;
  }

  /** Logs in (setting the password on first boot) and returns the session cookie. */
  async login(password = "field-engineer-1"): Promise<string> {
    let r = await fetch(`${this.base}/api/setup`, { method: "POST", body: JSON.stringify({ password }) });
    if (r.status === 409) r = await fetch(`${this.base}/api/login`, { method: "POST", body: JSON.stringify({ password }) });
    if (r.status !== 200) throw new Error(`login failed: ${r.status} ${await r.text()}`);
    return (r.headers.get("set-cookie") ?? "").split(";")[0];
  }
}
