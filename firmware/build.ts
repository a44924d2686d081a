// `make firmware`: builds the executables and the signed update bundles.
//
//   bun firmware/build.ts [--arch arm64|x64|all] [--key RELEASE-KEY.pem] [--out DIR]
//
// For each arch: `bun build --compile` of app/main.ts (firmware/compile.ts: minified, version/commit/
// bundle key defined in, build-time aliases from firmware/aliases.ts, then the native-addon check),
// embedding the pinned, checksum-verified Bun runtime (firmware/runtime.ts); then the signed bundle
// (firmware/bundle.ts). Outputs in dist/:
//   gateway-linux-arm64, gateway-linux-x64             the executables
//   gateway-{version}-linux-{arch}.tar                 the signed bundles
//   bundle-key.pub                                     public half of the signing key
// The signing key: --key FILE or GATEWAY_SIGNING_KEY=FILE; otherwise the development key in .keys/.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseCli } from "../app/cli.ts";
import type { Arch } from "../app/firmware/manifest.ts";
import { writeBundle } from "./bundle.ts";
import { compile } from "./compile.ts";
import { signingKey, type SigningKey } from "./keys.ts";
import { ROOT, runtimeFor, toolchainVersion } from "./runtime.ts";

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

interface BuildContext { version: string; commit: string; out: string; created: number; key: SigningKey }

async function buildArch(arch: Arch, o: BuildContext): Promise<void> {
  const t0 = performance.now();
  const say = (s: string) => console.log(`  ${s}`);
  const runtime = runtimeFor(arch, say);
  const exe = join(o.out, `gateway-linux-${arch}`);
  const { metafile, notes } = await compile({
    arch, runtime, outfile: exe, log: say,
    define: {
      GATEWAY_VERSION: JSON.stringify(o.version),
      GATEWAY_COMMIT: JSON.stringify(o.commit),
      GATEWAY_BUNDLE_KEY: JSON.stringify(o.key.publicPem),
    },
  });
  notes.forEach((n) => say(`note: ${n}`));
  writeFileSync(join(o.out, `.metafile-${arch}.json`), JSON.stringify(metafile));
  const bundle = join(o.out, `gateway-${o.version}-linux-${arch}.tar`);
  writeBundle({ executable: exe, arch, version: o.version, commit: o.commit, runtime: `bun ${toolchainVersion()}`, created: o.created, key: o.key, out: `${bundle}.tmp` });
  renameSync(`${bundle}.tmp`, bundle);
  say(`${relative(ROOT, exe)} ${mib(statSync(exe).size)}; ${relative(ROOT, bundle)} ${mib(statSync(bundle).size)}; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function main(): Promise<number> {
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
  if (!existsSync(join(ROOT, "app/web/ui"))) console.log("  note: app/web/ui/ does not exist yet; no page assets to embed");

  try {
    for (const arch of arches) {
      console.log(`linux-${arch}:`);
      await buildArch(arch, { version, commit, out, created, key });
    }
  } catch (e) {
    console.error(`firmware build failed: ${(e as Error).message}`);
    return 1;
  }
  return 0;
}

process.exit(await main());
