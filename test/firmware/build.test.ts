// The build with a release key passed by path: the bundle is signed with it, and the executable
// trusts that key (embedded at build) and no other — a development bundle is refused by a release
// executable. x64 only, into a scratch folder, so it is quick and leaves dist/ alone.
import { describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/gateway-process.ts";
import { ensureFirmware, tempDir, VERSION, BUNDLE_X64 } from "./firmware.ts";

describe("make firmware with a release key", () => {
  test("signs with it, embeds it, and refuses bundles signed with the development key", async () => {
    await ensureFirmware(); // the development build, to compare against
    const out = tempDir("release-");
    const keyFile = join(out, "release.pem");
    writeFileSync(keyFile, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    const b = Bun.spawnSync([process.execPath, "firmware/build.ts", "--arch", "x64", "--out", out], {
      cwd: ROOT, env: { ...process.env, GATEWAY_SIGNING_KEY: keyFile }, stdout: "pipe", stderr: "pipe",
    });
    expect(b.exitCode, b.stdout.toString() + b.stderr.toString()).toBe(0);
    expect(b.stdout.toString()).toContain(`signing key`);
    expect(b.stdout.toString()).toContain(keyFile);

    const exe = join(out, "gateway-linux-x64");
    const bundle = join(out, `gateway-${VERSION}-linux-x64.tar`);
    const verify = (e: string, file: string, ...extra: string[]) => {
      const r = Bun.spawnSync([e, "verify-bundle", file, ...extra], { stdout: "pipe", stderr: "pipe" });
      return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
    };
    const own = verify(exe, bundle);
    expect(own.code, own.out).toBe(0);
    expect(own.out).toContain("(embedded at build)");
    const dev = verify(exe, BUNDLE_X64);
    expect(dev.code).toBe(1);
    expect(dev.out).toContain("bad signature");
    // The published public key matches, for people checking with openssl or --key.
    expect(verify(exe, bundle, "--key", join(out, "bundle-key.pub")).code).toBe(0);
    expect(readFileSync(join(out, "bundle-key.pub"), "utf8")).toContain("BEGIN PUBLIC KEY");
  }, 240_000);

  test("the build is reproducible: two builds of the same tree give the same executable and bundle bytes", () => {
    const outs = [tempDir("repro-"), tempDir("repro-")];
    for (const out of outs) {
      const b = Bun.spawnSync([process.execPath, "firmware/build.ts", "--arch", "x64", "--out", out], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
      expect(b.exitCode, b.stderr.toString()).toBe(0);
    }
    const sha = (p: string) => new Bun.CryptoHasher("sha256").update(readFileSync(p)).digest("hex");
    for (const f of ["gateway-linux-x64", `gateway-${VERSION}-linux-x64.tar`]) expect(sha(join(outs[0], f))).toBe(sha(join(outs[1], f)));
  }, 120_000);

  test("a missing release key fails the build with a clear message", () => {
    const b = Bun.spawnSync([process.execPath, "firmware/build.ts", "--arch", "x64", "--out", tempDir("release-"), "--key", "/nonexistent/release.pem"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    expect(b.exitCode).not.toBe(0);
    expect(b.stderr.toString()).toContain("signing key /nonexistent/release.pem does not exist");
  }, 30_000);
});
