// Structured logger: one JSON line per record on stderr (journald keeps it), a ring of recent
// records for the web page and the MQTT `logs` command, and levels changeable at run time per module.

export type Level = "debug" | "info" | "warn" | "error";
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogRecord { ts: number; level: Level; module: string; msg: string; [k: string]: unknown }

export class LogHub {
  level: Level = "info";
  readonly moduleLevels = new Map<string, Level>();
  readonly recent: LogRecord[] = [];
  constructor(
    private readonly now: () => number = Date.now,
    private readonly write: (line: string) => void = (l) => process.stderr.write(l + "\n"),
    private readonly keep = 500,
  ) {}

  /** Changes the level of one module, or of all when module is omitted. */
  setLevel(level: Level, module?: string): void {
    if (module) this.moduleLevels.set(module, level);
    else { this.level = level; this.moduleLevels.clear(); }
  }

  enabled(level: Level, module: string): boolean {
    return rank[level] >= rank[this.moduleLevels.get(module) ?? this.level];
  }

  record(level: Level, module: string, msg: string, fields?: Record<string, unknown>): void {
    if (!this.enabled(level, module)) return;
    const rec: LogRecord = { ts: this.now(), level, module, msg, ...fields };
    this.recent.push(rec);
    if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep);
    this.write(JSON.stringify(rec));
  }

  for(module: string): Logger { return new Logger(this, module); }
}

export class Logger {
  constructor(private readonly hub: LogHub, readonly module: string) {}
  debug(msg: string, f?: Record<string, unknown>) { this.hub.record("debug", this.module, msg, f); }
  info(msg: string, f?: Record<string, unknown>) { this.hub.record("info", this.module, msg, f); }
  warn(msg: string, f?: Record<string, unknown>) { this.hub.record("warn", this.module, msg, f); }
  error(msg: string, f?: Record<string, unknown>) { this.hub.record("error", this.module, msg, f); }
  child(name: string): Logger { return new Logger(this.hub, `${this.module}.${name}`); }
}
