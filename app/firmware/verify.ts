// Verifies an update bundle before anything of it is used: the signature first (nothing unsigned is
// trusted, not even the manifest's claims), then the architecture, then every file's size and SHA-256.
// Used by `gateway verify-bundle` and meant for the update path (mgmt) too. Reads the tar from disk in
// chunks, so a 100 MB bundle is checked on a box with little free memory.
import { createHash, type KeyObject } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { readMember, readTarIndex, streamMember, type TarMember } from "./tar.ts";
import {
  elfArch, keyId, manifestProblem, MANIFEST, REQUIRED_FILES, SIGNATURE, signatureValid, type Manifest,
} from "./manifest.ts";

export type VerifyResult = { ok: true; manifest: Manifest } | { ok: false; reason: string };

export interface VerifyOptions {
  key: KeyObject;
  /** Expected architecture ("arm64", "x64"); usually the machine's own. */
  arch: string;
}

export function verifyBundle(path: string, opts: VerifyOptions): VerifyResult {
  const fail = (reason: string): VerifyResult => ({ ok: false, reason });
  if (!existsSync(path)) return fail(`missing file: ${path} does not exist`);
  if (!statSync(path).isFile()) return fail(`${path} is not a file`);
  let members: TarMember[];
  try { members = readTarIndex(path); } catch (e) { return fail(`not a valid tar archive: ${(e as Error).message}`); }
  const byName = new Map<string, TarMember>();
  for (const m of members) {
    if (byName.has(m.name)) return fail(`duplicate file in archive: ${m.name}`);
    byName.set(m.name, m);
  }
  const man = byName.get(MANIFEST);
  if (!man) return fail(`missing file: ${MANIFEST}`);
  const sig = byName.get(SIGNATURE);
  if (!sig) return fail(`missing file: ${SIGNATURE}`);
  if (man.size > 1 << 20 || sig.size > 4096) return fail("manifest or signature is implausibly large");

  const manBytes = readMember(path, man);
  const sigText = new TextDecoder().decode(readMember(path, sig));
  if (!signatureValid(manBytes, sigText, opts.key))
    return fail(`bad signature: ${MANIFEST} is not signed by key ${keyId(opts.key)} (changed manifest, or signed with another key)`);

  let manifest: Manifest;
  try { manifest = JSON.parse(new TextDecoder().decode(manBytes)); } catch (e) { return fail(`manifest is not JSON: ${(e as Error).message}`); }
  const problem = manifestProblem(manifest);
  if (problem) return fail(`manifest is malformed: ${problem}`);
  if (manifest.arch !== opts.arch) return fail(`wrong arch: bundle is for linux-${manifest.arch}, expected linux-${opts.arch}`);

  const listed = new Set(manifest.files.map((f) => f.path));
  for (const r of REQUIRED_FILES) if (!listed.has(r)) return fail(`missing file: ${r} (not in the manifest)`);
  for (const name of byName.keys())
    if (name !== MANIFEST && name !== SIGNATURE && !listed.has(name)) return fail(`unexpected file not covered by the signature: ${name}`);

  for (const f of manifest.files) {
    const m = byName.get(f.path);
    if (!m) return fail(`missing file: ${f.path}`);
    if (m.size !== f.size) return fail(`size mismatch: ${f.path} is ${m.size} bytes, manifest says ${f.size}`);
    const h = createHash("sha256");
    streamMember(path, m, (c) => h.update(c));
    const got = h.digest("hex");
    if (got !== f.sha256) return fail(`hash mismatch: ${f.path} has SHA-256 ${got.slice(0, 16)}…, manifest says ${f.sha256.slice(0, 16)}…`);
  }

  // The manifest is signed, but check the executable itself too: a release built for the wrong
  // target would otherwise only show up as "Exec format error" at boot.
  const exe = byName.get("gateway")!;
  const exeArch = elfArch(readMember(path, { ...exe, size: Math.min(exe.size, 64) }));
  if (exeArch !== manifest.arch) return fail(`wrong arch: the executable is ${exeArch}, the manifest says ${manifest.arch}`);
  return { ok: true, manifest };
}
