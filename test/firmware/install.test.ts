// install.sh into a temporary root (what scripts/flash --root does for an SD-card image): the release
// layout, config kept across installs, previous/current switching, rollback, pruning. Small bundles
// with a stand-in executable keep this fast; the last test flashes the real arm64 bundle.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/gateway-process.ts";
import { signingKey } from "../../firmware/keys.ts";
import { BUNDLE_ARM64, BUNDLE_X64, ensureFirmware, smallBundle, tempDir, testKey } from "./firmware.ts";

const key = testKey();

function sh(cmd: string[], cwd?: string) {
  const r = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
}

/** Unpacks a bundle and runs its install.sh with `args` against `root`. */
function install(bundle: string, root: string, ...args: string[]) {
  const dir = tempDir("unpacked-");
  expect(sh(["tar", "-xf", bundle, "-C", dir]).code).toBe(0);
  return sh(["sh", join(dir, "install.sh"), ...args, "--root", root]);
}

const link = (root: string, name: string) => readlinkSync(join(root, "opt/gateway", name));

describe("install.sh --root", () => {
  test("first install builds the release layout", () => {
    const root = tempDir("root-");
    const r = install(smallBundle({ key, commit: "aaaaaaaaaaaa" }), root, "install", "--board", "sim");
    expect(r.code, r.out).toBe(0);
    expect(link(root, "current")).toBe("releases/9.9.9-aaaaaaaaaaaa");
    expect(existsSync(join(root, "opt/gateway/previous"))).toBe(false);
    const rel = join(root, "opt/gateway/releases/9.9.9-aaaaaaaaaaaa");
    for (const f of ["gateway", "install.sh", "gateway.service", "manifest.json", "manifest.sig", "SHA256SUMS"]) expect(existsSync(join(rel, f))).toBe(true);
    expect(readFileSync(join(root, "etc/gateway/gateway.yaml"), "utf8")).toBe(readFileSync(join(ROOT, "firmware/gateway.yaml"), "utf8"));
    expect(readFileSync(join(root, "etc/gateway/gateway.env"), "utf8")).toBe("GATEWAY_BOARD=sim\n");
    expect(readFileSync(join(root, "etc/systemd/system/gateway.service"), "utf8")).toContain("ExecStart=/opt/gateway/current/gateway run");
    expect(readlinkSync(join(root, "etc/systemd/system/multi-user.target.wants/gateway.service"))).toBe("../gateway.service");
    expect(readlinkSync(join(root, "etc/systemd/system/multi-user.target.wants/gateway-update.path"))).toBe("../gateway-update.path");
    for (const u of ["gateway-rollback.service", "gateway-update.path", "gateway-update.service"]) expect(existsSync(join(root, "etc/systemd/system", u))).toBe(true);
    expect(readlinkSync(join(root, "usr/local/bin/gateway"))).toBe("/opt/gateway/current/gateway");
    expect(readFileSync(join(root, "etc/sysusers.d/gateway.conf"), "utf8")).toContain("m gateway gpio");
    expect(readFileSync(join(root, "etc/tmpfiles.d/gateway.conf"), "utf8")).toContain("d /var/lib/gateway 0750 gateway gateway");
    expect(existsSync(join(root, "var/lib/gateway"))).toBe(true);
  }, 30_000);

  test("an update keeps the box's config, moves current to previous; rollback swaps back and marks the failed one", () => {
    const root = tempDir("root-");
    expect(install(smallBundle({ key, commit: "aaaaaaaaaaaa" }), root).code).toBe(0);
    writeFileSync(join(root, "etc/gateway/gateway.yaml"), "gateway: { id: box-17 }\n");
    const r = install(smallBundle({ key, commit: "bbbbbbbbbbbb" }), root);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("keeping the existing");
    expect(readFileSync(join(root, "etc/gateway/gateway.yaml"), "utf8")).toBe("gateway: { id: box-17 }\n");
    expect(link(root, "current")).toBe("releases/9.9.9-bbbbbbbbbbbb");
    expect(link(root, "previous")).toBe("releases/9.9.9-aaaaaaaaaaaa");

    const rb = sh(["sh", join(root, "opt/gateway/current/install.sh"), "rollback", "--root", root, "--reason", "test"]);
    expect(rb.code, rb.out).toBe(0);
    expect(link(root, "current")).toBe("releases/9.9.9-aaaaaaaaaaaa");
    expect(link(root, "previous")).toBe("releases/9.9.9-bbbbbbbbbbbb");
    expect(readFileSync(join(root, "opt/gateway/releases/9.9.9-bbbbbbbbbbbb/.failed"), "utf8")).toStartWith("test ");
    // Never "back" onto a release marked failed.
    const again = sh(["sh", join(root, "opt/gateway/current/install.sh"), "rollback", "--root", root]);
    expect(again.code).toBe(1);
    expect(again.out).toContain("marked failed");
    const st = sh(["sh", join(root, "opt/gateway/current/install.sh"), "status", "--root", root]);
    expect(st.out).toContain("current:  9.9.9-aaaaaaaaaaaa");
    expect(st.out).toMatch(/release: {2}9\.9\.9-bbbbbbbbbbbb \(failed: test /);
  }, 30_000);

  test("only current and previous are kept; reinstalling the current release changes nothing", () => {
    const root = tempDir("root-");
    for (const c of ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"]) expect(install(smallBundle({ key, commit: c }), root).code).toBe(0);
    expect(readdirSync(join(root, "opt/gateway/releases")).sort()).toEqual(["9.9.9-bbbbbbbbbbbb", "9.9.9-cccccccccccc"]);
    const same = smallBundle({ key, commit: "cccccccccccc" });
    const r = install(same, root);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("already installed");
    expect(link(root, "current")).toBe("releases/9.9.9-cccccccccccc");
    expect(link(root, "previous")).toBe("releases/9.9.9-bbbbbbbbbbbb");
  }, 30_000);

  test("a bundle whose files do not match SHA256SUMS is refused before anything is switched", () => {
    const root = tempDir("root-");
    const dir = tempDir("unpacked-");
    sh(["tar", "-xf", smallBundle({ key, commit: "dddddddddddd" }), "-C", dir]);
    writeFileSync(join(dir, "gateway.service"), "[Service]\nExecStart=/bin/evil\n");
    const r = sh(["sh", join(dir, "install.sh"), "--root", root]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("checksum mismatch");
    expect(existsSync(join(root, "opt/gateway/current"))).toBe(false);
  }, 30_000);

  test("bad arguments get a clear answer", () => {
    const dir = tempDir("unpacked-");
    sh(["tar", "-xf", smallBundle({ key }), "-C", dir]);
    const r = sh(["sh", join(dir, "install.sh"), "--frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.out).toContain("unknown argument: --frobnicate");
    expect(sh(["sh", join(dir, "install.sh"), "--root", "/nonexistent/x"]).out).toContain("is not a directory");
  }, 30_000);
});

describe("scripts/flash --root with the real arm64 bundle", () => {
  beforeAll(() => ensureFirmware(), 240_000);

  test("verifies the bundle, then installs it into the root", () => {
    const root = tempDir("root-");
    const r = sh([join(ROOT, "scripts/flash"), BUNDLE_ARM64, "--root", root, "--board", "sim"], ROOT);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(": ok: gateway");
    const current = join(root, "opt/gateway", link(root, "current"));
    expect(readFileSync(join(current, "gateway")).equals(readFileSync(join(ROOT, "dist/gateway-linux-arm64")))).toBe(true);
  }, 30_000);

  test("refuses a tampered bundle and installs nothing", () => {
    const root = tempDir("root-");
    const bad = join(tempDir(), "bad.tar");
    const bytes = readFileSync(BUNDLE_ARM64);
    // The manifest and signature come first (a few KB); byte 1 MiB is well inside the executable.
    expect(bytes.subarray(0, 100).toString("latin1")).toStartWith("manifest.json");
    bytes[1 << 20] ^= 0xff;
    writeFileSync(bad, bytes);
    const r = sh([join(ROOT, "scripts/flash"), bad, "--root", root], ROOT);
    expect(r.code).toBe(1);
    expect(r.out).toContain("hash mismatch: gateway");
    expect(r.out).toContain("nothing was installed");
    expect(existsSync(join(root, "opt"))).toBe(false);
  }, 30_000);
});

describe("install.sh apply (the update path) with the real x64 release installed", () => {
  beforeAll(() => ensureFirmware(), 240_000);

  function installed(): string {
    const root = tempDir("root-");
    const r = install(BUNDLE_X64, root);
    expect(r.code, r.out).toBe(0);
    mkdirSync(join(root, "var/lib/gateway/update"), { recursive: true });
    return root;
  }
  const apply = (root: string, file: string) => sh(["sh", join(root, "opt/gateway/current/install.sh"), "apply", file, "--root", root]);

  test("a bundle signed with the key the running release trusts is installed; result.json says so", () => {
    const root = installed();
    const before = link(root, "current");
    const drop = join(root, "var/lib/gateway/update/bundle.tar");
    // Same development key the build embedded in the running executable; a stand-in x64 executable.
    renameSync(smallBundle({ key: signingKey(), arch: "x64", commit: "eeeeeeeeeeee", version: "9.9.9" }), drop);
    const r = apply(root, drop);
    expect(r.code, r.out).toBe(0);
    expect(link(root, "current")).toBe("releases/9.9.9-eeeeeeeeeeee");
    expect(link(root, "previous")).toBe(before);
    expect(existsSync(drop)).toBe(false);
    expect(JSON.parse(readFileSync(join(root, "var/lib/gateway/update/result.json"), "utf8"))).toMatchObject({ ok: true, release: "9.9.9-eeeeeeeeeeee" });
  }, 30_000);

  test("a bundle signed with another key is rejected by the running release, removed, and nothing changes", () => {
    const root = installed();
    const before = link(root, "current");
    const drop = join(root, "var/lib/gateway/update/bundle.tar");
    renameSync(smallBundle({ key: testKey(), arch: "x64", commit: "ffffffffffff" }), drop);
    const r = apply(root, drop);
    expect(r.code).toBe(1);
    expect(r.out).toContain("bad signature");
    expect(link(root, "current")).toBe(before);
    expect(existsSync(drop)).toBe(false);
    const res = JSON.parse(readFileSync(join(root, "var/lib/gateway/update/result.json"), "utf8"));
    expect(res).toMatchObject({ ok: false, release: before.replace("releases/", "") });
    expect(res.message).toContain("bad signature");
  }, 30_000);
});
