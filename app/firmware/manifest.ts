// The bundle manifest: what a release contains (version, commit, arch, each file's size and SHA-256),
// signed with Ed25519 (RFC 8032) over the exact bytes of manifest.json. The signature lives beside it
// as manifest.sig (base64 of the 64-byte signature), so it can also be checked by hand with openssl:
//   base64 -d manifest.sig > sig.bin
//   openssl pkeyutl -verify -pubin -inkey bundle.pub -rawin -in manifest.json -sigfile sig.bin
// The build (firmware/bundle.ts) writes it; `gateway verify-bundle` and updates check it.
import { createHash, createPublicKey, sign, verify, type KeyObject } from "node:crypto";

export const MANIFEST = "manifest.json";
export const SIGNATURE = "manifest.sig";
/** Files every bundle must carry (besides the manifest and its signature). */
export const REQUIRED_FILES = ["gateway", "gateway.service", "gateway.yaml", "install.sh"] as const;
export const ARCHES = ["arm64", "x64"] as const;
export type Arch = (typeof ARCHES)[number];

export interface ManifestFile { path: string; size: number; sha256: string; mode: number }

export interface Manifest {
  format: 1;
  name: "gateway";
  version: string;
  commit: string;
  os: "linux";
  arch: Arch;
  /** Bun runtime embedded in the executable. */
  runtime: string;
  /** ISO time of the commit (not of the build, so that builds are reproducible). */
  created: string;
  /** Short fingerprint of the signing key, for messages ("signed by a different key"). */
  keyId: string;
  /** Sum of the files' sizes. */
  size: number;
  files: ManifestFile[];
}

/** sha256 of the key's DER SubjectPublicKeyInfo, first 16 hex digits. */
export function keyId(pub: KeyObject): string {
  return createHash("sha256").update(pub.export({ format: "der", type: "spki" })).digest("hex").slice(0, 16);
}

/** A public key from PEM text (SPKI) or from a private key (its public half). */
export function publicKeyFrom(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`not an Ed25519 key (${key.asymmetricKeyType})`);
  return key;
}

export function serializeManifest(m: Manifest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(m, null, 2) + "\n");
}

export function signManifest(bytes: Uint8Array, privateKey: KeyObject): string {
  return sign(null, bytes, privateKey).toString("base64") + "\n";
}

export function signatureValid(bytes: Uint8Array, sigText: string, pub: KeyObject): boolean {
  const sig = Buffer.from(sigText.trim(), "base64");
  if (sig.length !== 64) return false;
  try { return verify(null, bytes, pub, sig); } catch { return false; }
}

/** Checks the shape of a parsed manifest; returns a reason or null. */
export function manifestProblem(m: any): string | null {
  if (!m || typeof m !== "object") return "not an object";
  if (m.format !== 1) return `unknown format ${JSON.stringify(m.format)}`;
  for (const k of ["version", "commit", "arch", "runtime"]) if (typeof m[k] !== "string" || !m[k]) return `"${k}" missing`;
  if (!(ARCHES as readonly string[]).includes(m.arch)) return `unknown arch "${m.arch}"`;
  if (!Array.isArray(m.files)) return `"files" missing`;
  for (const f of m.files) {
    if (!f || typeof f.path !== "string" || !/^[A-Za-z0-9._-]+$/.test(f.path) || f.path.startsWith(".."))
      return `bad file entry ${JSON.stringify(f)}`;
    if (!Number.isSafeInteger(f.size) || f.size < 0 || typeof f.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(f.sha256))
      return `bad size or sha256 for ${f.path}`;
  }
  return null;
}

/** The architecture an ELF executable is for, from e_machine (ELF spec, "ELF Header"). */
export function elfArch(head: Uint8Array): Arch | string {
  if (head.length < 20 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) return "not an ELF executable";
  const machine = head[5] === 2 ? (head[18] << 8) | head[19] : head[18] | (head[19] << 8);
  if (machine === 183) return "arm64"; // EM_AARCH64
  if (machine === 62) return "x64"; // EM_X86_64
  return `ELF machine ${machine}`;
}

/** The arch name the gateway uses for this process ("arm64", "x64"). */
export function hostArch(): string { return process.arch; }
