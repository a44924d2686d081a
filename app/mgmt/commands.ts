// Remote management over MQTT (SPEC section 6): `cmd/{name}` in, `cmd/{name}/reply` out, correlated
// by `id`. With MQTT 5, a request's response-topic and correlation-data are honoured. Modules register
// their commands here; an unknown command or a malformed payload gets an error reply, never silence.
import type { Logger } from "../core/logger.ts";
import type { MqttUplink } from "../uplink/mqtt.ts";
import { topics } from "../uplink/topics.ts";

export type CommandResult = Record<string, unknown>;
export type CommandFn = (req: Record<string, any>) => Promise<CommandResult> | CommandResult;

/** Thrown (or returned as `{error}`) for a request the command refuses; becomes `{id, ok:false, error}`. */
export class CommandError extends Error {
  constructor(message: string, readonly details?: unknown) { super(message); }
}

export class CommandRouter {
  private readonly commands = new Map<string, CommandFn>();
  constructor(private readonly uplink: MqttUplink, private readonly log: Logger) {
    uplink.subscribe("cmd/+", (topic, payload, packet) => void this.handle(topic.slice("cmd/".length), payload, packet.properties ?? {}));
  }

  register(name: string, fn: CommandFn): void { this.commands.set(name, fn); }
  names(): string[] { return [...this.commands.keys()].sort(); }

  /** Runs a command as if it came over MQTT (also used by tests and the web page). */
  async run(name: string, req: Record<string, any>): Promise<CommandResult> {
    const fn = this.commands.get(name);
    if (!fn) return { id: req.id ?? null, ok: false, error: `unknown command "${name}"`, details: { known: this.names() } };
    try {
      const r = await fn(req);
      return { id: req.id ?? null, ok: !("error" in r), ...r };
    } catch (e) {
      const details = e instanceof CommandError ? e.details : undefined;
      if (!(e instanceof CommandError)) this.log.error("command failed", { command: name, error: String(e) });
      return { id: req.id ?? null, ok: false, error: e instanceof Error ? e.message : String(e), ...(details === undefined ? {} : { details }) };
    }
  }

  private async handle(name: string, payload: Buffer, props: Record<string, any>): Promise<void> {
    if (name.includes("/")) return;   // our own replies (cmd/x/reply) are not commands
    let req: Record<string, any>;
    try {
      const parsed = payload.length ? JSON.parse(payload.toString("utf8")) : {};
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("payload must be a JSON object");
      req = parsed;
    } catch (e) {
      this.reply(name, { id: null, ok: false, error: `bad request: ${(e as Error).message}` }, props);
      return;
    }
    this.log.info("command", { command: name, id: req.id });
    this.reply(name, await this.run(name, req), props);
  }

  private reply(name: string, body: CommandResult, props: Record<string, any>): void {
    const payload = JSON.stringify(body);
    if (props.responseTopic) {
      this.uplink.publishTo(props.responseTopic, payload, { qos: 1, properties: props.correlationData ? { correlationData: props.correlationData } : {} });
    } else {
      this.uplink.publish(topics.reply(name), payload, { qos: 1 });
    }
  }
}
