// The systemd units, sysusers/tmpfiles entries and the keepalived example, checked by the real tools
// (systemd-analyze, systemd-sysusers --root, systemd-tmpfiles --root, keepalived -t) rather than by
// reading them: a misspelt directive or an unsafe ownership chain fails here, not on a box.
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/gateway-process.ts";
import { ensureFirmware, EXE_X64, BUNDLE_ARM64, tempDir } from "./firmware.ts";

const UNITS = ["gateway.service", "gateway-rollback.service", "gateway-update.path", "gateway-update.service", "gateway-reboot.path", "gateway-reboot.service"];

function run(cmd: string[], cwd?: string) {
  const r = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

describe("systemd units", () => {
  beforeAll(() => ensureFirmware(), 240_000);

  test("gateway.service says what the issue asks", () => {
    const unit = readFileSync(join(ROOT, "firmware/gateway.service"), "utf8");
    for (const line of [
      "Restart=always", "RestartPreventExitStatus=78", "StartLimitBurst=5", "OnFailure=gateway-rollback.service",
      "User=gateway", "SupplementaryGroups=dialout gpio", "ProtectSystem=strict",
      "ReadWritePaths=/etc/gateway /var/lib/gateway", "NoNewPrivileges=yes",
      "ExecStart=/opt/gateway/current/gateway run --config /etc/gateway/gateway.yaml --data /var/lib/gateway --board ${GATEWAY_BOARD}",
    ]) expect(unit.split("\n")).toContain(line);
  }, 30_000);

  test("systemd-analyze verify accepts every unit; security exposure stays low", () => {
    const dir = tempDir("units-");
    // The units point at /opt/gateway/current; verify needs the commands to exist, so point them here.
    for (const u of UNITS) {
      const text = readFileSync(join(ROOT, "firmware", u), "utf8")
        .replaceAll("/opt/gateway/current/gateway", EXE_X64).replaceAll("/opt/gateway/current/install.sh", join(ROOT, "firmware/install.sh"));
      writeFileSync(join(dir, u), text);
    }
    const v = run(["systemd-analyze", "verify", ...UNITS.map((u) => `./${u}`)], dir);
    expect(v.err + v.out).toBe("");
    expect(v.code).toBe(0);
    const s = run(["systemd-analyze", "security", "--offline=yes", "--no-pager", "./gateway.service"], dir);
    const level = Number(/Overall exposure level for gateway\.service: ([\d.]+)/.exec(s.out + s.err)?.[1]);
    expect(level).toBeLessThan(5);
  }, 30_000);

  test("on first boot of a flashed image, sysusers and tmpfiles give the config and data to user gateway", () => {
    const root = tempDir("root-");
    expect(run([join(ROOT, "scripts/flash"), BUNDLE_ARM64, "--root", root], ROOT).code).toBe(0);
    writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    writeFileSync(join(root, "etc/group"), "root:x:0:\n");
    const su = run(["systemd-sysusers", `--root=${root}`]);
    expect(su.code, su.err).toBe(0);
    const passwd = readFileSync(join(root, "etc/passwd"), "utf8");
    const uid = Number(/^gateway:x:(\d+):/m.exec(passwd)?.[1]);
    expect(uid).toBeGreaterThan(0);
    const group = readFileSync(join(root, "etc/group"), "utf8");
    expect(group).toMatch(/^dialout:x:\d+:gateway$/m);
    expect(group).toMatch(/^gpio:x:\d+:gateway$/m);
    const tf = run(["systemd-tmpfiles", `--root=${root}`, "--create"]);
    expect(tf.code, tf.err).toBe(0);
    for (const p of ["etc/gateway", "etc/gateway/gateway.yaml", "var/lib/gateway", "var/lib/gateway/update"]) expect(statSync(join(root, p)).uid).toBe(uid);
    expect(statSync(join(root, "etc/gateway/gateway.yaml")).mode & 0o777).toBe(0o640);
  }, 30_000);
});

describe("keepalived example", () => {
  test("keepalived -t accepts it (with the check run as root, since this host has no user gateway)", () => {
    const conf = join(tempDir("ka-"), "keepalived.conf");
    writeFileSync(conf, readFileSync(join(ROOT, "firmware/keepalived.conf.example"), "utf8")
      .replace("script_user gateway", "script_user root").replace("/usr/local/bin/gateway", EXE_X64));
    const r = run(["keepalived", "-t", "-f", conf]);
    expect(r.err + r.out).toBe("");
    expect(r.code).toBe(0);
    expect(readFileSync(conf, "utf8")).toContain(`script "${EXE_X64} health --config /etc/gateway/gateway.yaml"`);
  }, 30_000);
});
