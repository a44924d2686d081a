// GPIO character-device driver (kernels without /sys/class/gpio) through the libgpiod tools. We have
// no GPIO chip here (no /dev/gpiochip*, no gpio-sim module), so the tools are stand-ins with libgpiod
// v1's argument syntax that keep line levels in files (fixtures/gpiod-v1): hardware we lack, faked.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChardevGpio } from "../../hw/gpio/chardev.ts";
import { waitFor } from "../helpers/wait.ts";

const TOOLS = join(import.meta.dir, "fixtures/gpiod-v1");
let dir = "";
let gpio: ChardevGpio;
const lateErrors: string[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "gpiod-"));
  mkdirSync(join(dir, "gpiochip0"));
  gpio = new ChardevGpio({ toolsDir: TOOLS, env: { ...process.env, GPIO_FAKE_DIR: dir }, onError: (_s, m) => lateErrors.push(m) });
});
afterAll(() => gpio.close());

describe("GPIO character device via libgpiod tools", () => {
  test("detects the tool generation", async () => {
    expect(await gpio.toolsVersion()).toBe(1);
  });

  test("input read, active-low applied by the tool", async () => {
    writeFileSync(join(dir, "gpiochip0/13"), "0");
    const chrg = await gpio.input({ chip: "gpiochip0", line: 13, activeLow: true });
    expect(await chrg.read()).toBe(1);
    writeFileSync(join(dir, "gpiochip0/13"), "1");
    expect(await chrg.read()).toBe(0);
    expect(readFileSync(join(dir, "calls"), "utf8")).toContain("gpioget --active-low gpiochip0 13");
  });

  test("an output is held by a running gpioset and re-held on each write", async () => {
    const video = await gpio.output({ chip: "gpiochip0", line: 20 }, 1);
    expect(readFileSync(join(dir, "gpiochip0/20"), "utf8").trim()).toBe("1");
    expect(existsSync(join(dir, "gpiochip0/20.held"))).toBe(true);
    await video.write(0);
    expect(readFileSync(join(dir, "gpiochip0/20"), "utf8").trim()).toBe("0");
    expect(await video.read()).toBe(0);
    video.close();
    await waitFor("line released", () => !existsSync(join(dir, "gpiochip0/20.held")));
    expect(readFileSync(join(dir, "calls"), "utf8")).toContain("gpioset --mode=signal gpiochip0 20=1");
  });

  test("a line that cannot be requested is a clear error (at once, or via onError on a slow box)", async () => {
    writeFileSync(join(dir, "gpiochip0/21.held"), "1");
    const errors: string[] = [];
    const request = (chip: string, line: number) => gpio.output({ chip, line }, 1).then(() => {}, (e) => { errors.push(e.message); });
    await Promise.all([request("gpiochip0", 21), request("gpiochip9", 1)]);
    const all = () => [...errors, ...lateErrors].join("\n");
    await waitFor("both failures reported", () => /busy/.test(all()) && /unable to open chip/.test(all()), 10_000);
  });

  test("edges from gpiomon reach the watcher", async () => {
    writeFileSync(join(dir, "gpiochip0/5"), "0");
    const vib = await gpio.input({ chip: "gpiochip0", line: 5 }, "both");
    const seen: number[] = [];
    const stop = vib.watch((v) => seen.push(v));
    await waitFor("gpiomon running", () => readFileSync(join(dir, "calls"), "utf8").includes("gpiomon --format=%e %o gpiochip0 5"));
    for (const [i, v] of [1, 0, 1].entries()) {
      writeFileSync(join(dir, "gpiochip0/5"), String(v));
      await waitFor(`edge ${i + 1}`, () => seen.length === i + 1, 5000);
    }
    stop();
    expect(seen).toEqual([1, 0, 1]);
  });
});
