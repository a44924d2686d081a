// Reading and writing the YAML file. Writes are atomic (temp file, fsync, rename) and the previous
// good file is kept beside it as `<file>.last-good`; an invalid document never replaces a good one.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, copyFileSync } from "node:fs";
import { dirname } from "node:path";
import { validateConfig, type ConfigError, type Validated } from "./validate.ts";
import type { Config } from "./schema.ts";

export function parseYaml(text: string): { ok: true; doc: unknown } | { ok: false; errors: ConfigError[] } {
  try {
    return { ok: true, doc: text.trim() === "" ? {} : Bun.YAML.parse(text) };
  } catch (e) {
    return { ok: false, errors: [{ path: "(file)", reason: `not valid YAML: ${e instanceof Error ? e.message : String(e)}` }] };
  }
}

/** Loads and validates a file. A missing file is an empty one (every key has a default). */
export function loadConfigFile(path: string, mustExist = false): Validated {
  if (!existsSync(path)) {
    if (mustExist) return { ok: false, errors: [{ path: "(file)", reason: `cannot read ${path}: no such file` }] };
    return validateConfig({});
  }
  let text: string;
  try { text = readFileSync(path, "utf8"); }
  catch (e) { return { ok: false, errors: [{ path: "(file)", reason: `cannot read ${path}: ${(e as Error).message}` }] }; }
  const parsed = parseYaml(text);
  return parsed.ok ? validateConfig(parsed.doc) : parsed;
}

function fsyncDir(dir: string): void {
  try { const fd = openSync(dir, "r"); try { fsyncSync(fd); } finally { closeSync(fd); } } catch { /* not all filesystems allow it */ }
}

/** Validates, then replaces the file atomically, keeping the old one as `.last-good`. */
export function saveConfigFile(path: string, doc: unknown): Validated {
  const v = validateConfig(doc);
  if (!v.ok) return v;
  const text = "# Written by the gateway. See README.md, \"Configuration reference\".\n" + Bun.YAML.stringify(doc, null, 2) + "\n";
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w", 0o600);
  try { writeSync(fd, text); fsyncSync(fd); } finally { closeSync(fd); }
  if (existsSync(path) && loadConfigFile(path).ok) copyFileSync(path, `${path}.last-good`);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
  return v;
}

export type { Config };
