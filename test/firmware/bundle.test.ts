// The signed bundle: what verifies and every way a bundle can be wrong (bad signature, changed
// manifest, hash mismatch, wrong arch, missing or extra file), on small bundles built here, and the
// tar format against GNU tar in both directions.
import { describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { readMember, readTarIndex, writeTar } from "../../app/firmware/tar.ts";
import { verifyBundle } from "../../app/firmware/verify.ts";
import { smallBundle, tempDir, testKey } from "./firmware.ts";

const key = testKey();
const bundle = smallBundle({ key });

function member(path: string, name: string) {
  const m = readTarIndex(path).find((x) => x.name === name);
  if (!m) throw new Error(`${name} not in ${path}`);
  return m;
}

/** A copy of the bundle with `bytes` written over member `name` at `at`. */
function tampered(name: string, at: number, bytes: Uint8Array): string {
  const copy = join(tempDir(), "tampered.tar");
  copyFileSync(bundle, copy);
  const fd = openSync(copy, "r+");
  writeSync(fd, bytes, 0, bytes.length, member(copy, name).offset + at);
  closeSync(fd);
  return copy;
}

function rebuilt(drop: string[], extra: { name: string; data: Uint8Array }[] = []): string {
  const out = join(tempDir(), "rebuilt.tar");
  const inputs = readTarIndex(bundle).filter((m) => !drop.includes(m.name)).map((m) => ({ name: m.name, mode: m.mode, data: readMember(bundle, m) }));
  writeTar(out, [...inputs, ...extra.map((e) => ({ ...e, mode: 0o644 }))]);
  return out;
}

describe("bundle verification", () => {
  test("a bundle signed with the key verifies, with its manifest", () => {
    const r = verifyBundle(bundle, { key: key.publicKey, arch: "arm64" });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.manifest).toMatchObject({ version: "9.9.9", commit: "0123456789ab", arch: "arm64", keyId: key.id });
    expect(r.manifest.files.map((f) => f.path)).toEqual(["gateway", "gateway.service", "gateway-rollback.service", "gateway-update.path", "gateway-update.service", "gateway-reboot.path", "gateway-reboot.service", "gateway.yaml", "install.sh", "keepalived.conf.example", "SHA256SUMS"]);
  }, 30_000);

  test("one byte changed in the executable: hash mismatch", () => {
    const r = verifyBundle(tampered("gateway", 2000, new Uint8Array([0x55])), { key: key.publicKey, arch: "arm64" });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining("hash mismatch: gateway") });
  }, 30_000);

  test("a changed manifest (version edited): bad signature", () => {
    const text = new TextDecoder().decode(readMember(bundle, member(bundle, "manifest.json")));
    const at = text.indexOf('"9.9.9"') + 1;
    const r = verifyBundle(tampered("manifest.json", at, new TextEncoder().encode("9.9.8")), { key: key.publicKey, arch: "arm64" });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining("bad signature") });
  }, 30_000);

  test("signed with another key: bad signature", () => {
    const r = verifyBundle(bundle, { key: testKey().publicKey, arch: "arm64" });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining("bad signature") });
  }, 30_000);

  test("built for another arch than the machine: wrong arch", () => {
    const r = verifyBundle(bundle, { key: key.publicKey, arch: "x64" });
    expect(r).toEqual({ ok: false, reason: "wrong arch: bundle is for linux-arm64, expected linux-x64" });
  }, 30_000);

  test("manifest says arm64 but the executable is x86-64: wrong arch", () => {
    const b = smallBundle({ key, arch: "arm64", exeArch: "x64" });
    const r = verifyBundle(b, { key: key.publicKey, arch: "arm64" });
    expect(r).toEqual({ ok: false, reason: "wrong arch: the executable is x64, the manifest says arm64" });
  }, 30_000);

  test("missing signature, manifest or listed file; extra unsigned file; not a tar", () => {
    const v = (p: string) => verifyBundle(p, { key: key.publicKey, arch: "arm64" });
    expect(v(rebuilt(["manifest.sig"]))).toEqual({ ok: false, reason: "missing file: manifest.sig" });
    expect(v(rebuilt(["manifest.json"]))).toEqual({ ok: false, reason: "missing file: manifest.json" });
    expect(v(rebuilt(["install.sh"]))).toEqual({ ok: false, reason: "missing file: install.sh" });
    expect(v(rebuilt([], [{ name: "evil.sh", data: new Uint8Array([1]) }]))).toEqual({ ok: false, reason: "unexpected file not covered by the signature: evil.sh" });
    const junk = join(tempDir(), "junk.tar");
    writeFileSync(junk, "this is not a tar archive at all".repeat(40));
    expect(v(junk)).toMatchObject({ ok: false, reason: expect.stringContaining("not a valid tar archive") });
    expect(v(join(tempDir(), "absent.tar"))).toMatchObject({ ok: false, reason: expect.stringContaining("missing file") });
  }, 30_000);

  test("truncated bundle is rejected, not crashed on", () => {
    const cut = join(tempDir(), "cut.tar");
    writeFileSync(cut, readFileSync(bundle).subarray(0, 3000));
    expect(verifyBundle(cut, { key: key.publicKey, arch: "arm64" })).toMatchObject({ ok: false, reason: expect.stringContaining("truncated") });
  }, 30_000);
});

describe("tar format", () => {
  test("GNU tar extracts our archive byte for byte", () => {
    const dir = tempDir();
    const r = Bun.spawnSync(["tar", "-xf", bundle, "-C", dir]);
    expect(r.exitCode).toBe(0);
    for (const m of readTarIndex(bundle)) expect(readFileSync(join(dir, m.name))).toEqual(Buffer.from(readMember(bundle, m)));
  }, 30_000);

  test("a bundle repacked with GNU tar (./ prefixes, directory entry) still verifies", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "x"));
    Bun.spawnSync(["tar", "-xf", bundle, "-C", join(dir, "x")]);
    const repacked = join(dir, "repacked.tar");
    expect(Bun.spawnSync(["tar", "-cf", repacked, "-C", join(dir, "x"), "."]).exitCode).toBe(0);
    expect(verifyBundle(repacked, { key: key.publicKey, arch: "arm64" }).ok).toBe(true);
  }, 30_000);
});

describe("gateway verify-bundle (the command)", () => {
  const cli = (...args: string[]) => {
    const r = Bun.spawnSync([process.execPath, join(import.meta.dir, "../../app/main.ts"), "verify-bundle", ...args], { stdout: "pipe", stderr: "pipe" });
    return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
  };
  const pubFile = (pem: string) => { const p = join(tempDir(), "key.pub"); writeFileSync(p, pem); return p; };

  test("exit 0 with the key, 1 with the reason otherwise, 2 for usage", () => {
    const ok = cli(bundle, "--key", pubFile(key.publicPem), "--arch", "arm64");
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain(`ok: gateway 9.9.9 (0123456789ab) linux-arm64, 11 files`);
    const other = cli(bundle, "--key", pubFile(testKey().publicPem), "--arch", "arm64");
    expect(other.code).toBe(1);
    expect(other.out).toContain("bad signature");
    const notKey = cli(bundle, "--key", bundle);
    expect(notKey.code).toBe(1);
    expect(notKey.out).toContain("cannot read public key");
    expect(cli().code).toBe(2);
    expect(cli(bundle, "--key").code).toBe(2);
  }, 30_000);
});
