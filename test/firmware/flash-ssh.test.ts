// scripts/flash --ssh against a stand-in box: we have no ARM box on the network, so `ssh` and `scp`
// are replaced (FLASH_SSH/FLASH_SCP) by scripts that run the remote command on this machine inside a
// private mount namespace (unshare -m) where /etc, /opt, /var/lib, /var/tmp and /usr/local/bin are
// bind mounts of a scratch directory. install.sh then runs in its real "live" mode (as root, creating
// the user with systemd-sysusers, the directories with systemd-tmpfiles, running ./gateway --version)
// without touching this machine. No systemd runs as init here, so the service is not started.
import { describe, expect, test, beforeAll } from "bun:test";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/gateway-process.ts";
import { BUNDLE_X64, ensureFirmware, tempDir } from "./firmware.ts";

const FAKE_SSH = `#!/bin/bash
# ssh stand-in: ssh -p PORT -o BatchMode=yes HOST CMD...
shift 4; host=$1; shift; cmd="$*"
if [ "$cmd" = "uname -m" ] && [ -n "\${FAKE_BOX_MACHINE:-}" ]; then echo "$FAKE_BOX_MACHINE"; exit 0; fi
echo "$host: $cmd" >> "$FAKE_BOX/ssh.log"
exec unshare -m bash -c '
  set -e
  for m in etc opt var/lib var/tmp usr/local/bin; do mount --bind "$FAKE_BOX/$m" "/$m"; done
  exec sh -c "$0"' "$cmd"
`;
const FAKE_SCP = `#!/bin/bash
# scp stand-in: scp -P PORT -o BatchMode=yes -q SRC HOST:DEST
src=$6; dest=\${7#*:}
echo "scp $src $dest" >> "$FAKE_BOX/ssh.log"
cp "$src" "$FAKE_BOX$dest"
`;

function fakeBox(): { box: string; env: Record<string, string> } {
  const box = tempDir("box-");
  cpSync("/etc", join(box, "etc"), { recursive: true, verbatimSymlinks: true });
  for (const d of ["opt", "var/lib", "var/tmp", "usr/local/bin"]) mkdirSync(join(box, d), { recursive: true });
  const bin = tempDir("fake-ssh-");
  writeFileSync(join(bin, "ssh"), FAKE_SSH, { mode: 0o755 });
  writeFileSync(join(bin, "scp"), FAKE_SCP, { mode: 0o755 });
  return { box, env: { ...process.env, FAKE_BOX: box, FLASH_SSH: join(bin, "ssh"), FLASH_SCP: join(bin, "scp") } as Record<string, string> };
}

function flash(env: Record<string, string>, ...args: string[]) {
  const r = Bun.spawnSync([join(ROOT, "scripts/flash"), ...args], { cwd: ROOT, env, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
}

const canRun = process.getuid?.() === 0 && Bun.which("unshare") !== null;

describe.skipIf(!canRun)("scripts/flash --ssh (stand-in box: this machine in a mount namespace)", () => {
  beforeAll(() => ensureFirmware(), 240_000);

  test("verifies here, copies, verifies there, installs the release layout and the user", () => {
    const { box, env } = fakeBox();
    const r = flash(env, BUNDLE_X64, "--ssh", "admin@box", "--board", "sim");
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(": ok: gateway");
    const current = readlinkSync(join(box, "opt/gateway/current"));
    expect(current).toStartWith("releases/");
    expect(readFileSync(join(box, "opt/gateway", current, "gateway")).equals(readFileSync(join(ROOT, "dist/gateway-linux-x64")))).toBe(true);
    expect(readlinkSync(join(box, "usr/local/bin/gateway"))).toBe("/opt/gateway/current/gateway");
    // Live mode: the user exists and owns config and data.
    const uid = Number(/^gateway:x:(\d+):/m.exec(readFileSync(join(box, "etc/passwd"), "utf8"))?.[1]);
    expect(uid).toBeGreaterThan(0);
    expect(readFileSync(join(box, "etc/group"), "utf8")).toMatch(/^gpio:x:\d+:.*gateway/m);
    expect(statSync(join(box, "etc/gateway/gateway.yaml")).uid).toBe(uid);
    expect(statSync(join(box, "var/lib/gateway")).uid).toBe(uid);
    // The copy and the unpacked folder are gone from the box's /var/tmp.
    expect(readdirSync(join(box, "var/tmp"))).toEqual([]);
    const log = readFileSync(join(box, "ssh.log"), "utf8");
    expect(log).toContain("verify-bundle /var/tmp/gateway-bundle-");
    // This machine was not touched.
    expect(existsSync("/opt/gateway")).toBe(false);
  }, 30_000);

  test("a box of another architecture is refused before anything is copied", () => {
    const { box, env } = fakeBox();
    const r = flash({ ...env, FAKE_BOX_MACHINE: "aarch64" }, BUNDLE_X64, "--ssh", "admin@box");
    expect(r.code).toBe(1);
    expect(r.out).toContain("wrong arch: bundle is for linux-x64, expected linux-arm64");
    expect(existsSync(join(box, "ssh.log"))).toBe(false);
    expect(readdirSync(join(box, "opt"))).toEqual([]);
  }, 30_000);
});
