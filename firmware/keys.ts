// The Ed25519 key that signs bundles. A release key is passed in by path (`--key FILE` or
// GATEWAY_SIGNING_KEY=FILE, PKCS#8 PEM: `openssl genpkey -algorithm ed25519 -out release.pem`).
// Without one, a development key is generated on the first build into .keys/ (git-ignored, never
// committed); boxes flashed with development bundles trust only that key.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keyId } from "../app/firmware/manifest.ts";
import { DEV_KEY_DIR, DEV_PUBLIC_KEY } from "../app/firmware/trusted-key.ts";

export const DEV_PRIVATE_KEY = join(DEV_KEY_DIR, "bundle-dev.key");

export interface SigningKey { privateKey: KeyObject; publicKey: KeyObject; publicPem: string; id: string; source: string }

function fromPrivatePem(pem: string, source: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error(`${source}: not an Ed25519 private key (${privateKey.asymmetricKeyType})`);
  const publicKey = createPublicKey(privateKey);
  const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  return { privateKey, publicKey, publicPem, id: keyId(publicKey), source };
}

/** The release key at `path`, or the development key (created when missing). */
export function signingKey(path?: string): SigningKey {
  if (path) {
    if (!existsSync(path)) throw new Error(`signing key ${path} does not exist`);
    return fromPrivatePem(readFileSync(path, "utf8"), path);
  }
  if (!existsSync(DEV_PRIVATE_KEY)) {
    mkdirSync(DEV_KEY_DIR, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync("ed25519");
    writeFileSync(DEV_PRIVATE_KEY, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  }
  const key = fromPrivatePem(readFileSync(DEV_PRIVATE_KEY, "utf8"), `${DEV_PRIVATE_KEY} (development key)`);
  if (!existsSync(DEV_PUBLIC_KEY) || readFileSync(DEV_PUBLIC_KEY, "utf8") !== key.publicPem) writeFileSync(DEV_PUBLIC_KEY, key.publicPem);
  return key;
}
