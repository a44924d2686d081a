// One `bun build --compile` (through Bun.build, so that build-time aliases can be applied as a plugin):
// app/main.ts, minified with names kept and the source map embedded, version/commit/bundle key defined
// in, the pinned runtime embedded, the page assets when they exist. Then the native-addon check.
import { existsSync, renameSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import type { BunPlugin } from "bun";
import type { Arch } from "../app/firmware/manifest.ts";
import { BUILD_ALIASES } from "./aliases.ts";
import { findNativeAddons, type Metafile } from "./native-check.ts";
import { ROOT } from "./runtime.ts";

const UI_DIR = join(ROOT, "app/web/ui");

/**
 * Runtime flags the executable starts with (process.execArgv), as `make run` passes them: --smol, Bun's
 * small-heap mode (collects garbage more often). On a 2-core box with 10,000 GB/T 28181 cameras it holds
 * the gateway at ~130 MB RSS instead of ~160 MB (target 150), for a few % more CPU (README "sip").
 */
export const EXEC_ARGV = ["--smol"];

export interface CompileOptions {
  arch: Arch;
  runtime: string;
  outfile: string;
  define: Record<string, string>;
  aliases?: Record<string, string>;
  log?: (s: string) => void;
}

/** Resolves each aliased bare specifier to its replacement file. */
export function aliasPlugin(aliases: Record<string, string>, root = ROOT): BunPlugin {
  return {
    name: "gateway-build-aliases",
    setup(build) {
      for (const [spec, file] of Object.entries(aliases)) {
        const re = new RegExp(`^${spec.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`);
        build.onResolve({ filter: re }, () => ({ path: join(root, file) }));
      }
    },
  };
}

/** Compiles the executable; throws with the reasons when it fails or would need a native addon. */
export async function compile(o: CompileOptions): Promise<{ metafile: Metafile; notes: string[] }> {
  const log = o.log ?? (() => {});
  const tmp = `${o.outfile}.tmp`;
  const aliases = o.aliases ?? BUILD_ALIASES;
  // The web page (app/web/ui/, its own issue) is embedded when it exists: its files are then in the
  // executable as Bun.embeddedFiles named "ui/…" (/$bunfs/root/ui/…). A page imported as an HTML
  // module is bundled on its own and needs nothing here.
  const assets = existsSync(UI_DIR) ? [relative(ROOT, UI_DIR)] : [];
  log(`bun build --compile --target=bun-linux-${o.arch} --compile-executable-path=${relative(ROOT, o.runtime)} --minify --keep-names --sourcemap=linked ` +
    `--no-compile-autoload-dotenv --no-compile-autoload-bunfig --compile-exec-argv="${EXEC_ARGV.join(" ")}" ${Object.keys(o.define).map((k) => `--define ${k}=…`).join(" ")}` +
    `${assets.map((a) => ` --asset ${a}`).join("")}${Object.keys(aliases).length ? ` (aliases: ${JSON.stringify(aliases)})` : ""} app/main.ts`);
  const r = await Bun.build({
    entrypoints: [join(ROOT, "app/main.ts")],
    root: ROOT,
    compile: {
      target: `bun-linux-${o.arch}` as any, executablePath: o.runtime, outfile: tmp,
      // A field executable must not pick up a stray .env or bunfig.toml from its working directory.
      autoloadDotenv: false, autoloadBunfig: false,
      execArgv: EXEC_ARGV,
      ...(assets.length ? { assets } : {}),
    },
    // Minified, but names kept and the source map embedded: a stack trace from the field reads
    // "at Outbox.add (app/store/outbox.ts:42:7)", not "at r (/$bunfs/root/…:2:33)".
    minify: true, keepNames: true, sourcemap: "linked",
    define: o.define,
    metafile: true,
    plugins: [aliasPlugin(aliases)],
    throw: false,
  } as any);
  rmSync(`${tmp}.map`, { force: true }); // embedded already; Bun also writes it beside
  if (!r.success) {
    rmSync(tmp, { force: true });
    throw new Error(`bun build failed for ${o.arch}:\n${r.logs.map(String).join("\n")}`);
  }
  const metafile = (typeof r.metafile === "string" ? JSON.parse(r.metafile) : r.metafile) as Metafile;
  const native = findNativeAddons(metafile, process.cwd()); // metafile paths are relative to the cwd
  if (native.length) {
    rmSync(tmp, { force: true });
    throw new Error(`the executable would need native addons at run time, which cannot run on the box:\n${native.map((f) => `  ${f.file}: ${f.reason}`).join("\n")}`);
  }
  // Imports left to run time that are not built-ins: optional code paths of dependencies (they throw
  // only if reached). Listed so that a new one is noticed.
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const external = new Set<string>();
  for (const i of Object.values(metafile.inputs)) for (const imp of i.imports)
    if (imp.external && !builtins.has(imp.path) && !imp.path.startsWith("bun:") && !imp.path.startsWith("node:")) external.add(imp.path);
  renameSync(tmp, o.outfile);
  return { metafile, notes: external.size ? [`optional imports not in the executable: ${[...external].sort().join(", ")}`] : [] };
}
