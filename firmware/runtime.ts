// The Bun runtime embedded in each executable, pinned to the dev toolchain's version and checked
// against a committed checksum, so a build does not depend on what a download returns that day.
//
// Source: the `@oven/bun-linux-{aarch64,x64}` npm packages, which package-lock.json already records
// (as optional dependencies of the `bun` devDependency) with npm's `dist.integrity` (SHA-512 of the
// tarball). npm skips the foreign-CPU one at install time, so we fetch it with `npm pack` (the npm
// registry, nothing else), check the tarball's SHA-512 against the lock, and extract `bin/bun`.
// The result is cached under node_modules/.cache/ (keyed by the integrity), so only the first build
// downloads. For the host's own target the running toolchain is used when it is the same version
// (npm ci already verified it against the same lock).
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

export const ROOT = join(import.meta.dir, "..");
const CACHE = join(ROOT, "node_modules/.cache/gateway-firmware");

export type Target = "arm64" | "x64";
const NPM_NAME: Record<Target, string> = { arm64: "@oven/bun-linux-aarch64", x64: "@oven/bun-linux-x64" };

export interface Pin { name: string; version: string; integrity: string }

/** The version the dev toolchain is pinned to (package.json devDependencies.bun). */
export function toolchainVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const v = pkg.devDependencies?.bun;
  if (!/^\d+\.\d+\.\d+$/.test(v ?? "")) throw new Error(`package.json must pin bun to an exact version (found ${v})`);
  return v;
}

/** The committed pin for a target, from package-lock.json. */
export function pinFor(target: Target): Pin {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8"));
  const name = NPM_NAME[target];
  const entry = lock.packages?.[`node_modules/${name}`];
  if (!entry?.integrity?.startsWith("sha512-")) throw new Error(`package-lock.json has no sha512 integrity for ${name}`);
  const want = toolchainVersion();
  if (entry.version !== want) throw new Error(`package-lock.json pins ${name}@${entry.version} but the toolchain is bun ${want}; run npm install`);
  return { name, version: entry.version, integrity: entry.integrity };
}

function sri512(bytes: Uint8Array): string {
  return "sha512-" + createHash("sha512").update(bytes).digest("base64");
}

function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function run(cmd: string[], cwd: string): string {
  const r = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (!r.success) throw new Error(`${cmd.join(" ")} failed (${r.exitCode}): ${r.stderr.toString().trim()}`);
  return r.stdout.toString();
}

/** Path of a verified Bun runtime for `target`, downloading it once if needed. */
export function runtimeFor(target: Target, log: (s: string) => void = () => {}): string {
  const pin = pinFor(target);
  const hostTarget = process.platform === "linux" && (process.arch === "arm64" || process.arch === "x64") ? process.arch : null;
  if (target === hostTarget && Bun.version === pin.version) {
    log(`runtime linux-${target}: this toolchain (bun ${Bun.version}, ${process.execPath})`);
    return process.execPath;
  }
  const dir = join(CACHE, `${pin.name.replace("/", "+")}@${pin.version}-${createHash("sha256").update(pin.integrity).digest("hex").slice(0, 12)}`);
  const bin = join(dir, "bun");
  // The cached binary is re-hashed against the digest recorded when its tarball was verified.
  if (existsSync(bin) && existsSync(bin + ".sha256")) {
    if (sha256File(bin) === readFileSync(bin + ".sha256", "utf8").trim()) {
      log(`runtime linux-${target}: cached ${bin} (verified)`);
      return bin;
    }
    log(`runtime linux-${target}: cached copy changed; fetching again`);
  }
  const work = mkdtempSync(join(tmpdir(), "bun-runtime-"));
  try {
    log(`runtime linux-${target}: npm pack ${pin.name}@${pin.version}`);
    const out = JSON.parse(run(["npm", "pack", `${pin.name}@${pin.version}`, "--json", "--silent"], work));
    const tgz = join(work, out[0].filename);
    const got = sri512(readFileSync(tgz));
    if (got !== pin.integrity)
      throw new Error(`${pin.name}@${pin.version}: tarball SHA-512 ${got} does not match the pinned ${pin.integrity}; refusing to embed it`);
    log(`runtime linux-${target}: SHA-512 matches package-lock.json`);
    run(["tar", "-xzf", tgz, "package/bin/bun"], work);
    mkdirSync(dir, { recursive: true });
    chmodSync(join(work, "package/bin/bun"), 0o755);
    renameSync(join(work, "package/bin/bun"), bin);
    writeFileSync(bin + ".sha256", sha256File(bin) + "\n");
    return bin;
  } finally { rmSync(work, { recursive: true, force: true }); }
}
