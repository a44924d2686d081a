// `gateway verify-bundle FILE [--key PUB] [--arch ARCH]`: exit 0 when the bundle is intact, signed by
// the trusted key and built for this machine (or ARCH); exit 1 with the reason otherwise; 2 for usage.
import { keyId } from "./manifest.ts";
import { trustedKey } from "./trusted-key.ts";
import { verifyBundle } from "./verify.ts";

export function verifyBundleCommand(args: string[], flags: Record<string, string | true>): number {
  const file = args[0];
  if (!file || flags.key === true || flags.arch === true) {
    console.error("usage: gateway verify-bundle FILE [--key PUBLIC-KEY.pem] [--arch arm64|x64]");
    return 2;
  }
  const k = trustedKey(typeof flags.key === "string" ? flags.key : undefined);
  if ("error" in k) { console.error(`${file}: ${k.error}`); return 1; }
  const arch = typeof flags.arch === "string" ? flags.arch : process.arch;
  const r = verifyBundle(file, { key: k.key, arch });
  if (!r.ok) { console.error(`${file}: ${r.reason}`); return 1; }
  const m = r.manifest;
  console.log(`${file}: ok: gateway ${m.version} (${m.commit}) linux-${m.arch}, ${m.files.length} files, ${m.size} bytes, signed by key ${keyId(k.key)} (${k.source})`);
  return 0;
}
