// Services start in dependency order and stop in reverse. A service that fails to start stops the
// ones already started, so the process exits cleanly and systemd can restart it.

export interface Service {
  readonly name: string;
  start(): Promise<void> | void;
  /** Flush what can be flushed; must not throw. */
  stop(): Promise<void> | void;
}

export class Lifecycle {
  private readonly services: Service[] = [];
  private readonly started: Service[] = [];
  constructor(private readonly log: (msg: string, f?: Record<string, unknown>) => void = () => {}) {}

  add(s: Service): void { this.services.push(s); }

  async start(): Promise<void> {
    for (const s of this.services) {
      try {
        await s.start();
        this.started.push(s);
        this.log("started", { service: s.name });
      } catch (e) {
        this.log("start failed", { service: s.name, error: String(e) });
        await this.stop();
        throw new Error(`${s.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  async stop(): Promise<void> {
    while (this.started.length) {
      const s = this.started.pop()!;
      try { await s.stop(); this.log("stopped", { service: s.name }); }
      catch (e) { this.log("stop failed", { service: s.name, error: String(e) }); }
    }
  }
}
