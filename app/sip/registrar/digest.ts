// HTTP digest authentication for SIP (RFC 3261 section 22.4, RFC 2617): MD5 with qop=auth.
// Nonces are stateless and self-checking (timestamp + random + HMAC), so any number of devices can
// hold one without the registrar storing anything until it is used; expiry gives `stale=true`
// (RFC 2617 section 3.2.1) and nonce-count reuse is refused per nonce (section 3.2.2).
import { randomBytes } from "node:crypto";

// Bun's one-shot hashers: about four times cheaper per call than node:crypto's createHash here, and
// two hashes per REGISTER is most of the registrar's own cost.
export function md5hex(s: string): string {
  return Bun.MD5.hash(s, "hex") as string;
}

export interface DigestParams {
  username: string; realm: string; nonce: string; uri: string; response: string;
  algorithm?: string; cnonce?: string; opaque?: string; qop?: string; nc?: string;
}

/** RFC 2617 section 3.2.2.1: request-digest for qop=auth, or the RFC 2069 form without qop. */
export function digestResponse(p: { username: string; realm: string; password: string; method: string; uri: string; nonce: string; qop?: string; nc?: string; cnonce?: string }): string {
  const ha1 = md5hex(`${p.username}:${p.realm}:${p.password}`);
  const ha2 = md5hex(`${p.method}:${p.uri}`);
  if (p.qop === "auth") return md5hex(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
  return md5hex(`${ha1}:${p.nonce}:${ha2}`);
}

/**
 * Parses `Digest k=v, k="quoted, with commas", ...` (RFC 2617 section 3.2.2). Returns null for another
 * scheme or a header without the mandatory fields; never throws.
 */
export function parseAuthorization(header: string): DigestParams | null {
  const m = /^\s*Digest\s+/i.exec(header);
  if (!m) return null;
  const out: Record<string, string> = {};
  const s = header;
  let i = m[0].length;
  while (i < s.length) {
    while (i < s.length && (s[i] === " " || s[i] === "," || s[i] === "\t")) i++;
    const eq = s.indexOf("=", i);
    if (eq < 0) break;
    const key = s.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (s[i] === " ") i++;
    let val: string;
    if (s[i] === '"') {
      let end = s.indexOf('"', i + 1);
      if (end < 0) end = s.length;
      val = s.slice(i + 1, end);
      if (val.includes("\\")) {
        // quoted-pair (RFC 2616 2.2): rare; redo this value character by character
        val = ""; let j = i + 1;
        for (; j < s.length && s[j] !== '"'; j++) { if (s[j] === "\\" && j + 1 < s.length) j++; val += s[j]; }
        end = j;
      }
      i = end + 1;
    } else {
      const end = s.indexOf(",", i);
      val = (end < 0 ? s.slice(i) : s.slice(i, end)).trim();
      i = end < 0 ? s.length : end;
    }
    if (key) out[key] = val;
  }
  if (out.username === undefined || out.realm === undefined || !out.nonce || !out.uri || !out.response) return null;
  return out as unknown as DigestParams;
}

export type Verdict =
  | { ok: true; username: string }
  | { ok: false; why: "stale" }          // right password, nonce too old: re-challenge with stale=true
  | { ok: false; why: "nonce" }          // not our nonce, or nc reused: plain re-challenge
  | { ok: false; why: "username" }       // username is not the device ID its password belongs to
  | { ok: false; why: "password" }       // wrong response: counts towards a ban
  | { ok: false; why: "malformed" };

/** realm and nonce lifetime are read at each use, so a config change applies to the next challenge. */
export interface DigestOptions { realm: () => string; nonceTtlMs: () => number; now: () => number; secret?: Uint8Array }

export class DigestAuth {
  private readonly secret: Uint8Array;
  /**
   * Highest nc seen per nonce, keyed by the nonce's 48-bit random part (a number: small map entries).
   * Two generations, each spanning one nonce lifetime: every nonce still valid is in one of them, and
   * dropping the older generation at rotation forgets only expired nonces. A hard cap bounds memory
   * under a flood (an early rotation then forgets some valid nonces' counts: a replay of those within
   * their lifetime would be accepted once more, which is the lesser harm).
   */
  private ncCur = new Map<number, number>();
  private ncOld = new Map<number, number>();
  private ncRotated = 0;
  static readonly NC_CAP = 200_000;
  constructor(private readonly o: DigestOptions) { this.secret = o.secret ?? randomBytes(32); }

  get realm(): string { return this.o.realm(); }

  newNonce(): string {
    const ts = Math.floor(this.o.now()).toString(16);
    const rnd = randomBytes(6).toString("hex");
    return `${ts}.${rnd}.${this.sign(`${ts}.${rnd}`)}`;
  }

  /** The WWW-Authenticate value of a 401 (RFC 3261 section 22.4; qop offered as in RFC 2617). */
  challenge(stale = false): string {
    return `Digest realm="${this.o.realm()}", nonce="${this.newNonce()}", algorithm=MD5, qop="auth"${stale ? ", stale=true" : ""}`;
  }

  /**
   * Checks credentials. `passwordFor(username)` gives the password that username may use, or null
   * when it may not authenticate at all (a per-device password bound to another ID).
   */
  verify(cred: DigestParams, method: string, passwordFor: (username: string) => string | null): Verdict {
    if (cred.algorithm && cred.algorithm.toUpperCase() !== "MD5") return { ok: false, why: "malformed" };
    if (cred.qop && cred.qop !== "auth") return { ok: false, why: "malformed" };
    if (cred.qop && (!cred.nc || !/^[0-9a-fA-F]{8}$/.test(cred.nc) || !cred.cnonce)) return { ok: false, why: "malformed" };
    const nonceAge = this.nonceAge(cred.nonce);
    if (nonceAge === null) return { ok: false, why: "nonce" };
    const password = passwordFor(cred.username);
    if (password === null) return { ok: false, why: "username" };
    const expect = digestResponse({ ...cred, password, method });
    if (!safeEq(expect, cred.response.toLowerCase())) return { ok: false, why: "password" };
    if (nonceAge > this.o.nonceTtlMs()) return { ok: false, why: "stale" };
    if (cred.qop) {
      const nc = parseInt(cred.nc!, 16);
      const key = parseInt(cred.nonce.split(".")[1], 16);
      this.rotate();
      const seen = this.ncCur.get(key) ?? this.ncOld.get(key);
      if (seen !== undefined && nc <= seen) return { ok: false, why: "nonce" };
      this.ncCur.set(key, nc);
    }
    return { ok: true, username: cred.username };
  }

  /** Age in ms of a nonce we issued, or null for one we did not. */
  private nonceAge(nonce: string): number | null {
    const parts = nonce.split(".");
    if (parts.length !== 3) return null;
    if (!safeEq(this.sign(`${parts[0]}.${parts[1]}`), parts[2])) return null;
    const ts = parseInt(parts[0], 16);
    if (!Number.isFinite(ts)) return null;
    return Math.max(0, this.o.now() - ts);
  }

  private sign(s: string): string {
    return (new Bun.CryptoHasher("sha256", this.secret).update(s).digest("base64") as string).slice(0, 22).replace(/\+/g, "-").replace(/\//g, "_");
  }

  private rotate(): void {
    const now = this.o.now();
    if (now - this.ncRotated < this.o.nonceTtlMs() && this.ncCur.size < DigestAuth.NC_CAP) return;
    this.ncRotated = now;
    this.ncOld = this.ncCur;
    this.ncCur = new Map();
  }
}

/** Constant-time comparison (the time does not tell how many leading characters matched). */
function safeEq(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}
