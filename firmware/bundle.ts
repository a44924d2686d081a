// Assembles and signs the update bundle `dist/gateway-{version}-linux-{arch}.tar` (SPEC section 8):
// the executable, the systemd units, the default config, install.sh, SHA256SUMS (for install.sh,
// which has only sh and sha256sum), and manifest.json + manifest.sig. Flat archive, fixed owner and
// mtime (the commit's time), fixed order: the same inputs give the same bytes.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeTar, type TarInput } from "../app/firmware/tar.ts";
import { MANIFEST, SIGNATURE, serializeManifest, signManifest, type Arch, type Manifest, type ManifestFile } from "../app/firmware/manifest.ts";
import type { SigningKey } from "./keys.ts";

const HERE = import.meta.dir;

/** Files the bundle carries besides the executable: [name in bundle, source, mode]. */
export const PAYLOAD: [string, string, number][] = [
  ["gateway.service", join(HERE, "gateway.service"), 0o644],
  ["gateway-rollback.service", join(HERE, "gateway-rollback.service"), 0o644],
  ["gateway-update.path", join(HERE, "gateway-update.path"), 0o644],
  ["gateway-update.service", join(HERE, "gateway-update.service"), 0o644],
  ["gateway-reboot.path", join(HERE, "gateway-reboot.path"), 0o644],
  ["gateway-reboot.service", join(HERE, "gateway-reboot.service"), 0o644],
  ["gateway.yaml", join(HERE, "gateway.yaml"), 0o644],
  ["install.sh", join(HERE, "install.sh"), 0o755],
  ["keepalived.conf.example", join(HERE, "keepalived.conf.example"), 0o644],
];

export interface BundleInput {
  executable: string;
  arch: Arch;
  version: string;
  commit: string;
  runtime: string;
  /** Seconds since the epoch (commit time), for the tar headers and manifest. */
  created: number;
  key: SigningKey;
  out: string;
}

function sha256(path: string | Uint8Array): string {
  return createHash("sha256").update(typeof path === "string" ? readFileSync(path) : path).digest("hex");
}

export function writeBundle(b: BundleInput): Manifest {
  const inputs: TarInput[] = [{ name: "gateway", path: b.executable, mode: 0o755 }, ...PAYLOAD.map(([name, path, mode]) => ({ name, path, mode }))];
  const files: ManifestFile[] = inputs.map((i) => ({ path: i.name, size: statSync(i.path!).size, sha256: sha256(i.path!), mode: i.mode }));
  const sums = new TextEncoder().encode(files.map((f) => `${f.sha256}  ${f.path}\n`).join(""));
  inputs.push({ name: "SHA256SUMS", data: sums, mode: 0o644 });
  files.push({ path: "SHA256SUMS", size: sums.length, sha256: sha256(sums), mode: 0o644 });
  const manifest: Manifest = {
    format: 1, name: "gateway", version: b.version, commit: b.commit, os: "linux", arch: b.arch,
    runtime: b.runtime, created: new Date(b.created * 1000).toISOString(), keyId: b.key.id,
    size: files.reduce((s, f) => s + f.size, 0), files,
  };
  const manBytes = serializeManifest(manifest);
  inputs.unshift(
    { name: MANIFEST, data: manBytes, mode: 0o644 },
    { name: SIGNATURE, data: new TextEncoder().encode(signManifest(manBytes, b.key.privateKey)), mode: 0o644 },
  );
  writeTar(b.out, inputs, b.created);
  return manifest;
}
