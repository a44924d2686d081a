// A real mosquitto broker on a free loopback port, started and stopped by the test.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { freePort } from "./ports.ts";
import { waitFor } from "./wait.ts";

export interface BrokerOptions { port?: number; passwords?: Record<string, string>; extra?: string; tls?: { ca: string; cert: string; key: string; requireClientCert?: { cert: string; key: string } } }

export class Mosquitto {
  proc: ReturnType<typeof Bun.spawn> | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), "mosq-"));
  port = 0;
  log = "";
  constructor(private readonly opts: BrokerOptions = {}) {}

  get url(): string { return `${this.opts.tls ? "mqtts" : "mqtt"}://127.0.0.1:${this.port}`; }

  async start(): Promise<this> {
    // mosquitto started as root drops to its own user, which must be able to read our files.
    chmodSync(this.dir, 0o755);
    this.port = this.port || this.opts.port || (await freePort());
    const lines = [`listener ${this.port} 127.0.0.1`, "persistence false", "max_inflight_messages 0", "max_queued_messages 1000000", "log_type error", "log_type warning"];
    if (this.opts.passwords) {
      const pwfile = join(this.dir, "passwd");
      writeFileSync(pwfile, "");
      for (const [u, p] of Object.entries(this.opts.passwords)) Bun.spawnSync(["mosquitto_passwd", "-b", pwfile, u, p]);
      lines.push("allow_anonymous false", `password_file ${pwfile}`);
    } else lines.push("allow_anonymous true");
    if (this.opts.tls) lines.push(`cafile ${this.opts.tls.ca}`, `certfile ${this.opts.tls.cert}`, `keyfile ${this.opts.tls.key}`);
    if (this.opts.tls?.requireClientCert) lines.push("require_certificate true");
    if (this.opts.extra) lines.push(this.opts.extra);
    const conf = join(this.dir, "mosquitto.conf");
    writeFileSync(conf, lines.join("\n") + "\n");
    this.proc = Bun.spawn(["mosquitto", "-c", conf], { stdout: "pipe", stderr: "pipe" });
    void new Response(this.proc.stderr as ReadableStream).text().then((t) => { this.log += t; });
    await waitFor(`mosquitto on ${this.port}`, async () => {
      const own = this.opts.tls?.requireClientCert;
      const tls = this.opts.tls ? { ca: readFileSync(this.opts.tls.ca), ...(own ? { cert: readFileSync(own.cert), key: readFileSync(own.key) } : {}) } : {};
      const c = await connectClient(this.url, { reconnectPeriod: 0, connectTimeout: 500, ...tls }, this.opts.passwords).catch(() => null);
      if (c) await c.endAsync();
      return c !== null;
    }, 10_000, 50);
    return this;
  }

  async stop(): Promise<void> {
    if (!this.proc) return;
    this.proc.kill("SIGKILL");
    await this.proc.exited;
    this.proc = null;
  }
}

export async function connectClient(url: string, opts: mqtt.IClientOptions = {}, passwords?: Record<string, string>): Promise<MqttClient> {
  const creds = passwords ? Object.entries(passwords)[0] : undefined;
  return await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3000, ...(creds ? { username: creds[0], password: creds[1] } : {}), ...opts });
}

/** Collects every message on `filter` in arrival order. */
export async function collect(url: string, filter: string, opts: mqtt.IClientOptions = {}): Promise<{ client: MqttClient; messages: { topic: string; payload: string; retain: boolean }[] }> {
  const client = await connectClient(url, opts);
  const messages: { topic: string; payload: string; retain: boolean }[] = [];
  client.on("message", (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), retain: packet.retain }));
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, messages };
}

/** A throwaway CA and a server certificate for 127.0.0.1, made with openssl. */
export function makeCerts(dir: string): { ca: string; cert: string; key: string; clientCert: string; clientKey: string } {
  const run = (args: string[]) => {
    const r = Bun.spawnSync(["openssl", ...args], { cwd: dir, stderr: "pipe" });
    if (!r.success) throw new Error(`openssl ${args[0]}: ${r.stderr.toString()}`);
  };
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca", "-keyout", "ca.key", "-out", "ca.pem"]);
  run(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"]);
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem"]);
  // A client certificate from the same CA, for brokers that require one (mutual TLS).
  run(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=gw-client", "-keyout", "client.key", "-out", "client.csr"]);
  run(["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-out", "client.pem"]);
  chmodSync(dir, 0o755);
  for (const f of ["server.key", "server.pem", "ca.pem", "client.pem", "client.key"]) chmodSync(join(dir, f), 0o644);
  return { ca: join(dir, "ca.pem"), cert: join(dir, "server.pem"), key: join(dir, "server.key"), clientCert: join(dir, "client.pem"), clientKey: join(dir, "client.key") };
}
