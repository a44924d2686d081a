// Drives test/bridge/pymodbus_server.py (a real pymodbus TCP or RTU server) from a test.
import { join } from "node:path";
import { waitFor } from "../helpers/wait.ts";

/** Debian's python, where python3-pymodbus is installed (not a pyenv shim on PATH). */
export const PYTHON = "/usr/bin/python3";
const SCRIPT = join(import.meta.dir, "pymodbus_server.py");

export interface PyConfig { mode: "tcp" | "rtu"; port?: number; device?: string; baud?: number; units?: number[]; size?: number }

export class PyModbus {
  proc: ReturnType<typeof Bun.spawn> | null = null;
  private next = 1;
  private readonly waiting = new Map<number, (r: any) => void>();
  private ready = false;
  stderr = "";
  constructor(readonly cfg: PyConfig) {}

  async start(): Promise<this> {
    this.ready = false;
    this.proc = Bun.spawn([PYTHON, SCRIPT, JSON.stringify(this.cfg)], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    void this.pump(this.proc.stdout as ReadableStream<Uint8Array>);
    void (async () => { for await (const c of this.proc!.stderr as ReadableStream<Uint8Array>) this.stderr += new TextDecoder().decode(c); })();
    const proc = this.proc;
    await waitFor("pymodbus server ready", () => {
      if (proc.exitCode !== null) throw new Error(`pymodbus exited ${proc.exitCode}: ${this.stderr}`);
      return this.ready;
    }, 15_000);
    return this;
  }

  private async pump(s: ReadableStream<Uint8Array>): Promise<void> {
    let buf = "";
    for await (const c of s) {
      buf += new TextDecoder().decode(c);
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let msg: any;
        try { msg = JSON.parse(line); } catch { continue; }
        if (msg.ready) this.ready = true;
        else if (msg.id !== undefined) { this.waiting.get(msg.id)?.(msg); this.waiting.delete(msg.id); }
      }
    }
  }

  async cmd(c: Record<string, unknown>): Promise<any> {
    if (!this.proc) throw new Error("pymodbus not running");
    const id = this.next++;
    const p = new Promise<any>((resolve, reject) => {
      this.waiting.set(id, resolve);
      setTimeout(() => { if (this.waiting.delete(id)) reject(new Error(`pymodbus did not answer ${JSON.stringify(c)}: ${this.stderr}`)); }, 10_000);
    });
    const stdin = this.proc.stdin as import("bun").FileSink;
    stdin.write(JSON.stringify({ ...c, id }) + "\n");
    stdin.flush();
    const r = await p;
    if (!r.ok) throw new Error(`pymodbus: ${r.error}`);
    return r;
  }

  async requests(): Promise<{ unit: number; fc: number; address: number; count: number }[]> {
    return (await this.cmd({ op: "requests" })).requests;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    await killAndWait(p);
  }
}

/** A socat pseudo-terminal pair: two linked serial devices at `${dir}/a` and `${dir}/b`. */
export class PtyPair {
  proc: ReturnType<typeof Bun.spawn> | null = null;
  constructor(readonly dir: string) {}
  get a(): string { return join(this.dir, "a"); }
  get b(): string { return join(this.dir, "b"); }
  async start(): Promise<this> {
    const { existsSync, mkdirSync } = await import("node:fs");
    mkdirSync(this.dir, { recursive: true });
    this.proc = Bun.spawn(["socat", "-d", "-d", `pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`], { stdout: "ignore", stderr: "pipe" });
    await waitFor("socat pty pair", () => existsSync(this.a) && existsSync(this.b), 5000);
    return this;
  }
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    await killAndWait(p);
  }
}

/** Ends a peer process and waits until it is gone. */
async function killAndWait(p: ReturnType<typeof Bun.spawn> | null): Promise<void> {
  if (!p) return;
  p.kill("SIGKILL");
  await p.exited;
}
