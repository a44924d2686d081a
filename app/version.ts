// Release version and commit. `make firmware` defines GATEWAY_VERSION/GATEWAY_COMMIT at build time;
// from source they come from package.json and git.
import pkg from "../package.json" with { type: "json" };

declare const GATEWAY_VERSION: string | undefined;
declare const GATEWAY_COMMIT: string | undefined;

function gitCommit(): string {
  try {
    const r = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: import.meta.dir, stderr: "ignore" });
    return r.success ? r.stdout.toString().trim() : "unknown";
  } catch { return "unknown"; }
}

export const VERSION: string = typeof GATEWAY_VERSION === "string" ? GATEWAY_VERSION : pkg.version;
export const COMMIT: string = typeof GATEWAY_COMMIT === "string" ? GATEWAY_COMMIT : gitCommit();
