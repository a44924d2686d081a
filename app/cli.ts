// Command-line parsing for `gateway`: a command word and `--flag value` options. Kept apart from
// main.ts so it can be tested without starting anything.
export interface Cli { command: string; args: string[]; flags: Record<string, string | true> }

export function parseCli(argv: string[]): Cli {
  const flags: Record<string, string | true> = {};
  const args: string[] = [];
  let command = "";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) flags[a.slice(2)] = argv[++i];
      else flags[a.slice(2)] = true;
    } else if (!command) command = a;
    else args.push(a);
  }
  return { command, args, flags };
}

/** Exit codes systemd can act on (the unit sets RestartPreventExitStatus=78: a bad config is not retried). */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 78 } as const;

export const USAGE = `usage:
  gateway run [--config FILE] [--data DIR] [--board NAME]   start the gateway (default config ./gateway.yaml, data ./data, board sim)
  gateway check-config FILE                                 validate a config file; lists every error as "path: reason"
  gateway health [--config FILE] [--url URL]                exit 0 if /api/health is ok, 1 if not (for keepalived/systemd)
  gateway verify-bundle FILE [--key PUB] [--arch ARCH]      check an update bundle's signature, arch and hashes (exit 0 ok / 1 with the reason)
  gateway --version                                         print version and commit`;
