// The build's guard against native addons: real `bun build` metafiles of small fixture programs that
// reach an addon the ways real packages do (a .node import, onoff's `bindings('epoll')`, process.dlopen),
// and the gateway's own metafile, which must be clean.
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { findNativeAddons, type Metafile } from "../../firmware/native-check.ts";
import { aliasPlugin } from "../../firmware/compile.ts";
import { DIST, ensureFirmware, tempDir } from "./firmware.ts";

function fixture(files: Record<string, string>): { dir: string; meta: Metafile } {
  const dir = tempDir("addon-");
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    if (p.endsWith(".node")) copyFileSync("/bin/true", join(dir, p)); // any binary will do: it is never loaded
    else writeFileSync(join(dir, p), text);
  }
  const r = Bun.spawnSync([process.execPath, "build", "main.ts", "--target=bun", "--outdir=out", "--metafile=meta.json"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  if (!r.success) throw new Error(r.stderr.toString());
  return { dir, meta: JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) };
}

const pkg = (name: string, main = "index.js") => JSON.stringify({ name, main });

describe("native addon check", () => {
  test("a package that imports a .node file is caught", () => {
    const { dir, meta } = fixture({
      "main.ts": `import addon from "fast-thing"; console.log(addon);`,
      "node_modules/fast-thing/package.json": pkg("fast-thing"),
      "node_modules/fast-thing/index.js": `module.exports = require("./build/Release/fast.node");`,
      "node_modules/fast-thing/build/Release/fast.node": "",
    });
    const found = findNativeAddons(meta, dir);
    expect(found.map((f) => f.reason)).toContain("native addon embedded in the bundle");
  }, 30_000);

  test("onoff's way, require('bindings')('epoll'), is caught although no .node file is visible", () => {
    const { dir, meta } = fixture({
      "main.ts": `import { Epoll } from "epoll"; console.log(Epoll);`,
      "node_modules/epoll/package.json": pkg("epoll", "epoll.js"),
      "node_modules/epoll/epoll.js": `module.exports = require("bindings")("epoll.node");`,
      "node_modules/bindings/package.json": pkg("bindings"),
      "node_modules/bindings/index.js": `module.exports = (n) => require(require("path").join(__dirname, n));`,
    });
    const found = findNativeAddons(meta, dir);
    expect(found).toContainEqual({ file: "node_modules/epoll/epoll.js", reason: "loads an addon through bindings/node-gyp-build" });
    expect(found).toContainEqual({ file: "node_modules/bindings/index.js", reason: "uses bindings, which loads a native addon at run time" });
  }, 30_000);

  test("an addon package left external (--external epoll) is caught: it would be missing on the box", () => {
    const dir = tempDir("addon-");
    writeFileSync(join(dir, "main.ts"), `import { Epoll } from "epoll"; console.log(Epoll);`);
    const r = Bun.spawnSync([process.execPath, "build", "main.ts", "--target=bun", "--external", "epoll", "--outdir=out", "--metafile=meta.json"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode, r.stderr.toString()).toBe(0);
    const found = findNativeAddons(JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")), dir);
    expect(found).toEqual([{ file: "main.ts", reason: "imports epoll, a native addon left to run time (it would fail on the box)" }]);
  }, 30_000);

  test("process.dlopen is caught; bun:ffi is not", () => {
    const a = fixture({ "main.ts": `const m = { exports: {} }; process.dlopen(m, "/x/y.node"); console.log(m);` });
    expect(findNativeAddons(a.meta, a.dir).map((f) => f.reason)).toEqual(["calls process.dlopen (loads a native addon)"]);
    const b = fixture({ "main.ts": `import { dlopen } from "bun:ffi"; console.log(typeof dlopen);` });
    expect(findNativeAddons(b.meta, b.dir)).toEqual([]);
  }, 30_000);
});

describe("build-time aliases (firmware/aliases.ts)", () => {
  test("an aliased addon is replaced before the check, so the replacement passes and the addon is gone", async () => {
    const dir = tempDir("alias-");
    const files: Record<string, string> = {
      "main.ts": `import { Epoll } from "epoll"; console.log(typeof Epoll);`,
      "node_modules/epoll/package.json": JSON.stringify({ name: "epoll", main: "epoll.js" }),
      "node_modules/epoll/epoll.js": `module.exports = require("bindings")("epoll.node");`,
      "shim/epoll-ffi.ts": `import { dlopen } from "bun:ffi"; export class Epoll { static lib = typeof dlopen; }`,
    };
    for (const [p, text] of Object.entries(files)) { mkdirSync(dirname(join(dir, p)), { recursive: true }); writeFileSync(join(dir, p), text); }
    const r = await Bun.build({ entrypoints: [join(dir, "main.ts")], root: dir, target: "bun", metafile: true, outdir: join(dir, "out"), plugins: [aliasPlugin({ epoll: "shim/epoll-ffi.ts" }, dir)] });
    expect(r.success).toBe(true);
    const meta = (typeof r.metafile === "string" ? JSON.parse(r.metafile) : r.metafile) as Metafile;
    // Metafile paths are relative to the working directory.
    const inputs = Object.keys(meta.inputs);
    expect(inputs.some((f) => f.endsWith("shim/epoll-ffi.ts"))).toBe(true);
    expect(inputs.some((f) => f.includes("node_modules/epoll"))).toBe(false);
    expect(findNativeAddons(meta, process.cwd())).toEqual([]);
  }, 30_000);
});

describe("the gateway executable", () => {
  beforeAll(() => ensureFirmware(), 240_000);

  test("needs no native addon (its build metafile is clean)", () => {
    for (const arch of ["arm64", "x64"]) {
      const meta: Metafile = JSON.parse(readFileSync(join(DIST, `.metafile-${arch}.json`), "utf8"));
      expect(Object.keys(meta.inputs)).toContain("app/main.ts");
      expect(findNativeAddons(meta, join(DIST, ".."))).toEqual([]);
    }
  }, 30_000);
});
