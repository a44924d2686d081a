// The public key this executable trusts for bundles. `make firmware` embeds the public half of the key
// that signs the bundle (--define GATEWAY_BUNDLE_KEY), so a box checks updates without any file of
// its own. Run from source, the development key in .keys/ (made by the first `make firmware`) is used.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { KeyObject } from "node:crypto";
import { publicKeyFrom } from "./manifest.ts";

declare const GATEWAY_BUNDLE_KEY: string | undefined;

/** Where the build keeps the development key pair (git-ignored). */
export const DEV_KEY_DIR = join(import.meta.dir, "../../.keys");
export const DEV_PUBLIC_KEY = join(DEV_KEY_DIR, "bundle-dev.pub");

/** The key to check bundles with: `--key FILE` if given, else the embedded one, else the dev key. */
export function trustedKey(keyPath?: string): { key: KeyObject; source: string } | { error: string } {
  try {
    if (keyPath) return { key: publicKeyFrom(readFileSync(keyPath, "utf8")), source: keyPath };
    if (typeof GATEWAY_BUNDLE_KEY === "string" && GATEWAY_BUNDLE_KEY) return { key: publicKeyFrom(GATEWAY_BUNDLE_KEY), source: "embedded at build" };
    if (existsSync(DEV_PUBLIC_KEY)) return { key: publicKeyFrom(readFileSync(DEV_PUBLIC_KEY, "utf8")), source: DEV_PUBLIC_KEY };
    return { error: "no public key: pass --key FILE (this executable has none embedded and there is no development key)" };
  } catch (e) {
    return { error: `cannot read public key ${keyPath ?? ""}: ${(e as Error).message}` };
  }
}
