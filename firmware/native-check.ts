// Fails the build when the executable would need a native `.node` addon at run time. A Node addon
// compiled on the build host cannot run on the box (wrong CPU, and Bun cannot run libuv-based addons
// such as `epoll`), and one loaded from disk at run time would not be there. Bun's own `bun:ffi`
// against the system libc is fine and is not flagged.
//
// Evidence comes from the bundler's metafile (every input file and import it resolved) and from the
// text of those inputs, because the usual loaders (`bindings`, `node-gyp-build`) compute the addon's
// path at run time, where the bundler cannot see a `.node` import at all.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface Metafile {
  inputs: Record<string, { bytes: number; imports: { path: string; kind: string; external?: boolean; original?: string }[] }>;
}

export interface NativeFinding { file: string; reason: string }

/** Packages whose only job is to locate and load a compiled addon at run time. */
const LOADER_PACKAGES = ["bindings", "node-gyp-build", "node-gyp-build-optional-packages", "@mapbox/node-pre-gyp", "node-pre-gyp", "prebuild-install", "nan", "node-addon-api"];

/** Packages that are native addons themselves: bundled or left external, they fail on the box. */
const ADDON_PACKAGES = ["epoll", "@serialport/bindings-cpp", "bufferutil", "utf-8-validate", "better-sqlite3", "sqlite3", "node-pty", "usb", "i2c-bus", "spi-device"];

const SOURCE_PATTERNS: [RegExp, string][] = [
  [/\brequire\s*\(\s*["'`][^"'`\n]*\.node["'`]\s*\)/, "requires a .node file"],
  [/\bprocess\.dlopen\s*\(/, "calls process.dlopen (loads a native addon)"],
  [/\brequire\s*\(\s*["'`](?:bindings|node-gyp-build)["'`]\s*\)/, "loads an addon through bindings/node-gyp-build"],
];

function packageOf(path: string): string | null {
  const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  return m ? m[1] : null;
}

/** Everything in the bundle that points at a native addon; empty means the executable is pure JS.
 *  `root` is the directory the metafile's paths are relative to (the bundler's working directory).
 *  An input that cannot be read is a finding too: an unchecked file is not a clean one. */
export function findNativeAddons(meta: Metafile, root: string): NativeFinding[] {
  const found: NativeFinding[] = [];
  for (const [file, input] of Object.entries(meta.inputs)) {
    if (file.endsWith(".node")) { found.push({ file, reason: "native addon embedded in the bundle" }); continue; }
    const pkg = packageOf(file);
    if (pkg && LOADER_PACKAGES.includes(pkg)) found.push({ file, reason: `uses ${pkg}, which loads a native addon at run time` });
    if (pkg && ADDON_PACKAGES.includes(pkg)) found.push({ file, reason: `is part of ${pkg}, a native addon package` });
    for (const imp of input.imports) {
      if (imp.path.endsWith(".node")) found.push({ file, reason: `imports native addon ${imp.original ?? imp.path}` });
      else if (imp.external && [...LOADER_PACKAGES, ...ADDON_PACKAGES].includes(packageOf(`node_modules/${imp.path}/`) ?? ""))
        found.push({ file, reason: `imports ${imp.path}, a native addon left to run time (it would fail on the box)` });
    }
    const abs = join(root, file);
    if (!/\.(?:[cm]?[jt]sx?|json)$/.test(file)) { found.push({ file, reason: "unexpected kind of input; cannot check it for native addons" }); continue; }
    if (file.endsWith(".json")) continue;
    if (!existsSync(abs)) { found.push({ file, reason: `cannot read ${abs} to check it for native addons` }); continue; }
    const text = readFileSync(abs, "utf8");
    for (const [re, reason] of SOURCE_PATTERNS) if (re.test(text)) found.push({ file, reason });
  }
  return found;
}
