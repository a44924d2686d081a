// Sysfs GPIO driver against a fake tree. As root: in a mount namespace (`unshare -m`) with a tmpfs over
// /sys/class, so the driver runs with its real default path; this test plays the kernel (creates
// gpioN/ when a number is written to `export`) and, through /proc/PID/root, writes the input's value
// file: the driver must see each edge. Without root the namespace test is skipped and the root-path
// tests below still cover the same driver.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SysfsGpio } from "../../hw/gpio/sysfs.ts";
import { wanted } from "../../hw/gpio/types.ts";
import { waitFor } from "../helpers/wait.ts";

const BASE = 512;        // Linux 6.6+: dynamic bases start at 512

function canUnshare(): boolean {
  if (process.getuid?.() !== 0) return false;
  const r = Bun.spawnSync(["unshare", "-m", "sh", "-c", "mount -t tmpfs none /sys/class && echo ok"]);
  return r.exitCode === 0 && r.stdout.toString().trim() === "ok";
}

/** What the kernel does on export: create gpioN/ with its attribute files. */
function exportLine(gpioRoot: string, n: number): void {
  const d = join(gpioRoot, `gpio${n}`);
  if (existsSync(join(d, "value"))) return;
  mkdirSync(d, { recursive: true });
  for (const [f, v] of Object.entries({ direction: "in", edge: "none", active_low: "0", value: "0" })) writeFileSync(join(d, f), v + "\n");
}

const children: ReturnType<typeof Bun.spawn>[] = [];
afterAll(() => { for (const c of children) c.kill(); });

describe("sysfs GPIO in a mount namespace (tmpfs over /sys/class)", () => {
  const ok = canUnshare();
  test.skipIf(!ok)("export with the 6.6+ base offset, direction/active_low, output writes, input edges seen", async () => {
    const setup = [
      "mount -t tmpfs tmpfs /sys/class",
      `mkdir -p /sys/class/gpio/gpiochip${BASE}`,
      `echo fake-gpio > /sys/class/gpio/gpiochip${BASE}/label`,
      `echo ${BASE} > /sys/class/gpio/gpiochip${BASE}/base`,
      `echo 32 > /sys/class/gpio/gpiochip${BASE}/ngpio`,
      ": > /sys/class/gpio/export", ": > /sys/class/gpio/unexport",
      `exec ${process.execPath} ${join(import.meta.dir, "fixtures/gpio-child.ts")}`,
    ].join(" && ");
    const child = Bun.spawn(["unshare", "-m", "sh", "-c", setup], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    children.push(child);
    const lines: any[] = [];
    void (async () => {
      let buf = "";
      for await (const c of child.stdout as ReadableStream<Uint8Array>) {
        buf += new TextDecoder().decode(c);
        let i;
        while ((i = buf.indexOf("\n")) >= 0) { lines.push(JSON.parse(buf.slice(0, i))); buf = buf.slice(i + 1); }
      }
    })();
    const gpioRoot = `/proc/${child.pid}/root/sys/class/gpio`;
    // Play the kernel until the child is ready: every number written to `export` becomes gpioN/.
    await waitFor("child exports its lines", () => {
      if (lines.some((l) => l.error)) throw new Error(JSON.stringify(lines));
      try {
        const n = Number(readFileSync(join(gpioRoot, "export"), "utf8").trim());
        if (n) exportLine(gpioRoot, n);
      } catch { /* namespace not mounted yet */ }
      return lines.find((l) => l.ready);
    }, 15_000, 5);
    const ready = lines.find((l) => l.ready);
    expect(ready).toEqual({ ready: true, input: BASE + 5, output: BASE + 6 });
    const inDir = join(gpioRoot, `gpio${BASE + 5}`), outDir = join(gpioRoot, `gpio${BASE + 6}`);
    expect(readFileSync(join(inDir, "direction"), "utf8")).toBe("in");
    expect(readFileSync(join(inDir, "edge"), "utf8")).toBe("both");
    expect(readFileSync(join(outDir, "active_low"), "utf8")).toBe("1");
    expect(readFileSync(join(outDir, "direction"), "utf8")).toBe("low");   // logical 1 on an active-low line = raw low

    const send = (s: string) => { (child.stdin as any).write(s + "\n"); (child.stdin as any).flush?.(); };
    send("write 0");
    await waitFor("output written", () => lines.find((l) => l.wrote === "0"));
    expect(readFileSync(join(outDir, "value"), "utf8").trim()).toBe("0");   // pwrite at offset 0, as onoff does

    // Edges: the test writes the input's value file; the driver (watching, 5 s poll) reports each one.
    writeFileSync(join(inDir, "value"), "1\n");
    await waitFor("rising edge seen", () => lines.find((l) => l.edge === 1), 8000, 5);
    writeFileSync(join(inDir, "value"), "0\n");
    await waitFor("falling edge seen", () => lines.find((l) => l.edge === 0), 8000, 5);
    send("read");
    await waitFor("value read", () => lines.find((l) => "value" in l));
    expect(lines.find((l) => "value" in l).value).toBe(0);
    send("quit");
    expect(await child.exited).toBe(0);
  }, 30_000);
});

describe("sysfs GPIO with the root path pointed at a temp dir", () => {
  function fakeRoot() {
    const root = mkdtempSync(join(tmpdir(), "gpio-"));
    for (const [dir, label, base, ngpio] of [["gpiochip512", "30200000.gpio", 512, 32], ["gpiochip544", "30210000.gpio", 544, 32]] as const) {
      mkdirSync(join(root, dir, "device", label === "30200000.gpio" ? "gpiochip0" : "gpiochip1"), { recursive: true });
      writeFileSync(join(root, dir, "label"), label + "\n");
      writeFileSync(join(root, dir, "base"), base + "\n");
      writeFileSync(join(root, dir, "ngpio"), ngpio + "\n");
    }
    writeFileSync(join(root, "export"), "");
    return root;
  }

  test("numbers are chip base + offset, by label, by character-device name or by sysfs dir", () => {
    const root = fakeRoot();
    const g = new SysfsGpio({ root });
    expect(g.number({ chip: "30210000.gpio", line: 3 })).toBe(547);
    expect(g.number({ chip: "gpiochip1", line: 3 })).toBe(547);       // /dev/gpiochip1 → its sysfs base
    expect(g.number({ chip: "gpiochip512", line: 0 })).toBe(512);
    expect(() => g.number({ chip: "nope", line: 1 })).toThrow(/no chip "nope".*30200000\.gpio/);
    expect(() => g.number({ chip: "30200000.gpio", line: 40 })).toThrow(/out of range/);
  });

  test("already-exported lines are reused; every edge on `value` is seen (watch + bounded poll)", async () => {
    const root = fakeRoot();
    exportLine(root, 520);
    const g = new SysfsGpio({ root, pollMs: 50 });
    const line = await g.input({ chip: "30200000.gpio", line: 8 }, "both");
    expect(readFileSync(join(root, "export"), "utf8")).toBe("");          // not exported twice
    expect(readFileSync(join(root, "gpio520/edge"), "utf8")).toBe("both");
    const edges: number[] = [];
    line.watch((v) => edges.push(v));
    for (const [i, v] of [1, 0, 1].entries()) {
      writeFileSync(join(root, "gpio520/value"), `${v}\n`);
      await waitFor(`edge ${i + 1}`, () => edges.length === i + 1, 8000, 5);
    }
    expect(edges).toEqual([1, 0, 1]);
    g.close();
  });

  test("edge filter: rising, falling, both, none", () => {
    expect([wanted("rising", 0, 1), wanted("rising", 1, 0), wanted("falling", 1, 0), wanted("falling", 0, 1)]).toEqual([true, false, true, false]);
    expect([wanted("both", 0, 1), wanted("both", 1, 0), wanted("both", 1, 1), wanted("none", 0, 1)]).toEqual([true, true, false, false]);
  });

  test("export of an absent line times out with a clear error instead of hanging", async () => {
    const root = fakeRoot();
    const g = new SysfsGpio({ root, exportWaitMs: 50 });
    await expect(g.output({ chip: "30200000.gpio", line: 1 })).rejects.toThrow(/did not appear after export/);
    expect(readFileSync(join(root, "export"), "utf8")).toBe("513");
  });
});
