// `make firmware`: builds the executables and the signed update bundles.
//
//   bun firmware/build.ts [--arch arm64|x64|all] [--key RELEASE-KEY.pem] [--out DIR]
//
// For each arch: `bun build --compile` of app/main.ts (minified, version/commit/bundle key defined in),
// embedding the pinned, checksum-verified Bun runtime (firmware/runtime.ts); then the native-addon
// check (firmware/native-check.ts) and the bundle (firmware/bundle.ts). Outputs in dist/:
//   gateway-linux-arm64, gateway-linux-x64             the executables
//   gateway-{version}-linux-{arch}.tar                 the signed bundles
//   bundle-key.pub                                     public half of the signing key
// The signing key: --key FILE or GATEWAY_SIGNING_KEY=FILE; otherwise the development key in .keys/.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative, resolve } from "node:path";
import { parseCli } from "../app/cli.ts";
import type { Arch } from "../app/firmware/manifest.ts";
import { writeBundle } from "./bundle.ts";
import { signingKey } from "./keys.ts";
import { findNativeAddons, type Metafile } from "./native-check.ts";
import { ROOT, runtimeFor, toolchainVersion } from "./runtime.ts";

const UI_DIR = join(ROOT, "app/web/ui");

function git(args: string[]): string | null {
  const r = Bun.spawnSync(["git", ...args], { cwd: ROOT, stdout: "pipe", stderr: "ignore" });
  return r.success ? r.stdout.toString().trim() : null;
}

/** Commit id as `--version` shows it: 12 hex digits, "-dirty" when tracked files differ from it. */
function commitId(): string {
  const head = git(["rev-parse", "--short=12", "HEAD"]);
  if (!head) return "unknown";
  const clean = Bun.spawnSync(["git", "diff", "--quiet", "HEAD", "--"], { cwd: ROOT }).exitCode === 0;
  return clean ? head : `${head}-dirty`;
}

function mib(n: number): string { return `${(n / 1048576).toFixed(1)} MiB`; }

interface Built { arch: Arch; exe: string; bundle: string; exeBytes: number; bundleBytes: number; seconds: number }

function buildArch(arch: Arch, o: { version: string; commit: string; keyPem: string; out: string; created: number; key: ReturnType<typeof signingKey> }): Built {
  const t0 = performance.now();
  const runtime = runtimeFor(arch, (s) => console.log(`  ${s}`));
  const exe = join(o.out, `gateway-linux-${arch}`);
  const tmpExe = `${exe}.tmp`;
  const meta = join(o.out, `.metafile-${arch}.json`);
  const cmd = [
    process.execPath, "build", "app/main.ts", "--compile", `--target=bun-linux-${arch}`,
    `--compile-executable-path=${runtime}`, // Minified, but with names kept and the source map embedded: a stack trace from the field then
    // reads "at Outbox.add (app/store/outbox.ts:42:7)" instead of "at r (/$bunfs/root/…:2:33)".
    "--minify", "--keep-names", "--sourcemap=linked",
    // A field executable must not pick up a stray .env or bunfig.toml from its working directory.
    "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig",
    "--define", `GATEWAY_VERSION=${JSON.stringify(o.version)}`,
    "--define", `GATEWAY_COMMIT=${JSON.stringify(o.commit)}`,
    "--define", `GATEWAY_BUNDLE_KEY=${JSON.stringify(o.keyPem)}`,
    `--metafile=${meta}`, `--outfile=${tmpExe}`,
  ];
  // The web page (app/web/ui/, its own issue) is embedded when it exists: files are then reachable
  // in the executable as Bun.embeddedFiles named "ui/…" (/$bunfs/root/ui/…). Pages imported as
  // HTML modules are bundled by `bun build` on their own and need nothing here.
  if (existsSync(UI_DIR)) cmd.push("--asset", relative(ROOT, UI_DIR));
  console.log(`  ${cmd.slice(1).map((a) => (a.includes("BEGIN PUBLIC KEY") ? "GATEWAY_BUNDLE_KEY=<pem>" : a)).join(" ")}`);
  const r = Bun.spawnSync(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (!r.success) throw new Error(`bun build failed for ${arch}:\n${r.stdout}${r.stderr}`);

  const metafile: Metafile = JSON.parse(readFileSync(meta, "utf8"));
  const native = findNativeAddons(metafile, ROOT);
  if (native.length) {
    rmSync(tmpExe, { force: true });
    throw new Error(`the executable would need native addons at run time, which cannot run on the box:\n${native.map((f) => `  ${f.file}: ${f.reason}`).join("\n")}`);
  }
  // Imports left to run time that are not Node/Bun built-ins: optional code paths of dependencies
  // (they throw if ever reached). Listed so that a new one is noticed.
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const external = new Set<string>();
  for (const i of Object.values(metafile.inputs)) for (const imp of i.imports)
    if (imp.external && !builtins.has(imp.path) && !imp.path.startsWith("bun:") && !imp.path.startsWith("node:")) external.add(imp.path);
  if (external.size) console.log(`  note: optional imports not in the executable: ${[...external].sort().join(", ")}`);

  rmSync(`${tmpExe}.map`, { force: true }); // the map is embedded; bun also writes it beside
  renameSync(tmpExe, exe);
  const bundle = join(o.out, `gateway-${o.version}-linux-${arch}.tar`);
  writeBundle({ executable: exe, arch, version: o.version, commit: o.commit, runtime: `bun ${toolchainVersion()}`, created: o.created, key: o.key, out: `${bundle}.tmp` });
  renameSync(`${bundle}.tmp`, bundle);
  return { arch, exe, bundle, exeBytes: statSync(exe).size, bundleBytes: statSync(bundle).size, seconds: (performance.now() - t0) / 1000 };
}

function main(): number {
  const cli = parseCli(process.argv.slice(2));
  const archFlag = typeof cli.flags.arch === "string" ? cli.flags.arch : "all";
  const arches: Arch[] = archFlag === "all" ? ["arm64", "x64"] : archFlag === "arm64" || archFlag === "x64" ? [archFlag] : [];
  if (!arches.length) { console.error(`unknown --arch ${archFlag} (arm64, x64, all)`); return 2; }
  const out = resolve(ROOT, typeof cli.flags.out === "string" ? cli.flags.out : "dist");
  const keyPath = typeof cli.flags.key === "string" ? cli.flags.key : process.env.GATEWAY_SIGNING_KEY || undefined;
  if (Bun.version !== toolchainVersion()) { console.error(`bun ${Bun.version} runs this build but package.json pins ${toolchainVersion()}; use node_modules/.bin/bun`); return 1; }

  const version: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
  const commit = commitId();
  const created = Number(process.env.SOURCE_DATE_EPOCH || git(["log", "-1", "--format=%ct"]) || 0);
  let key: ReturnType<typeof signingKey>;
  try { key = signingKey(keyPath); } catch (e) { console.error(`firmware build failed: ${(e as Error).message}`); return 1; }
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "bundle-key.pub"), key.publicPem);
  console.log(`firmware ${version} (${commit}), bun ${Bun.version}, signing key ${key.id} from ${key.source}`);
  if (!existsSync(UI_DIR)) console.log("  note: app/web/ui/ does not exist yet; no page assets to embed");

  try {
    for (const arch of arches) {
      console.log(`linux-${arch}:`);
      const b = buildArch(arch, { version, commit, keyPem: key.publicPem, out, created, key });
      console.log(`  ${relative(ROOT, b.exe)} ${mib(b.exeBytes)}; ${relative(ROOT, b.bundle)} ${mib(b.bundleBytes)}; ${b.seconds.toFixed(1)} s`);
    }
  } catch (e) {
    console.error(`firmware build failed: ${(e as Error).message}`);
    return 1;
  }
  return 0;
}

process.exit(main());
