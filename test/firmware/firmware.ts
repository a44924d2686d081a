// Shared by the firmware suites: the built artifacts (built once per test run, or reused when dist/
// is newer than every source), and small bundles made on the fly for fast install/verify tests.
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSync, createPublicKey } from "node:crypto";
import { ROOT } from "../helpers/gateway-process.ts";
import { writeBundle } from "../../firmware/bundle.ts";
import { keyId, type Arch } from "../../app/firmware/manifest.ts";
import type { SigningKey } from "../../firmware/keys.ts";
import pkg from "../../package.json" with { type: "json" };

export const VERSION = pkg.version;
export const DIST = join(ROOT, "dist");
export const EXE_ARM64 = join(DIST, "gateway-linux-arm64");
export const EXE_X64 = join(DIST, "gateway-linux-x64");
export const BUNDLE_ARM64 = join(DIST, `gateway-${VERSION}-linux-arm64.tar`);
export const BUNDLE_X64 = join(DIST, `gateway-${VERSION}-linux-x64.tar`);
export const QEMU = ["qemu-aarch64", "-cpu", "cortex-a53", "-L", "/usr/aarch64-linux-gnu"];

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const e of readdirSync(path)) m = Math.max(m, newest(join(path, e)));
  return m;
}

let built: Promise<void> | null = null;
/** Runs `bun firmware/build.ts` unless dist/ already holds artifacts newer than all sources. */
export function ensureFirmware(): Promise<void> {
  built ??= (async () => {
    const outputs = [EXE_ARM64, EXE_X64, BUNDLE_ARM64, BUNDLE_X64];
    const sources = Math.max(...["app", "hw", "firmware", "package.json", "package-lock.json"].map((p) => newest(join(ROOT, p))));
    if (outputs.every((o) => existsSync(o) && statSync(o).mtimeMs > sources)) return;
    const p = Bun.spawn([process.execPath, "firmware/build.ts"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    if (code !== 0) throw new Error(`firmware build failed (${code}):\n${out}\n${err}`);
  })();
  return built;
}

export function tempDir(prefix = "fw-"): string { return mkdtempSync(join(tmpdir(), prefix)); }

export function testKey(): SigningKey {
  const { privateKey } = generateKeyPairSync("ed25519");
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(), id: keyId(publicKey), source: "test" };
}

/** A stand-in executable: an ELF header for `arch` and some bytes (install.sh --root never runs it). */
export function fakeElf(dir: string, arch: Arch | "riscv", tag = "a"): string {
  const b = new Uint8Array(4096);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  const machine = arch === "arm64" ? 183 : arch === "x64" ? 62 : 243;
  b[18] = machine & 0xff; b[19] = machine >> 8;
  b.set(new TextEncoder().encode(`fake gateway ${tag}`), 64);
  const p = join(dir, `gateway-${arch}-${tag}`);
  writeFileSync(p, b, { mode: 0o755 });
  return p;
}

/** A small signed bundle around a fake executable. */
export function smallBundle(o: { key: SigningKey; arch?: Arch; exeArch?: Arch | "riscv"; commit?: string; version?: string; dir?: string }): string {
  const dir = o.dir ?? tempDir("bundle-");
  const commit = o.commit ?? "0123456789ab";
  const out = join(dir, `gateway-${o.version ?? "9.9.9"}-${commit}.tar`);
  writeBundle({
    executable: fakeElf(dir, o.exeArch ?? o.arch ?? "arm64", commit), arch: o.arch ?? "arm64", version: o.version ?? "9.9.9",
    commit, runtime: "bun test", created: 1_700_000_000, key: o.key, out,
  });
  return out;
}
