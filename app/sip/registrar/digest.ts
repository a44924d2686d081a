// HTTP digest authentication for SIP (RFC 3261 section 22.4, RFC 2617): MD5 with qop=auth.
// Nonces are stateless and self-checking (timestamp + random + HMAC), so any number of devices can
// hold one without the registrar storing anything until it is used; expiry gives `stale=true`
// (RFC 2617 section 3.2.1) and nonce-count reuse is refused per nonce (section 3.2.2).
import { randomBytes } from "node:crypto";
import { hasUpper, isWs } from "../message/params.ts";

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
  const s = header;
  let i = 0;
  while (isWs(s.charCodeAt(i))) i++;
  if (s.length < i + 7 || s.slice(i, i + 6).toLowerCase() !== "digest" || !isWs(s.charCodeAt(i + 6))) return null;
  i += 7;
  const out: Record<string, string> = {};
  while (i < s.length) {
    while (i < s.length && (isWs(s.charCodeAt(i)) || s.charCodeAt(i) === 44 /* , */)) i++;
    const eq = s.indexOf("=", i);
    if (eq < 0) break;
    let ke = eq;
    while (ke > i && isWs(s.charCodeAt(ke - 1))) ke--;
    const rawKey = s.slice(i, ke);
    const key = hasUpper(rawKey) ? rawKey.toLowerCase() : rawKey;
    i = eq + 1;
    while (s.charCodeAt(i) === 32) i++;
    let val: string;
    if (s.charCodeAt(i) === 34 /* " */) {
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
   * Highest nc seen per nonce, in a ring indexed by the nonce's counter (its middle part): slot
   * `counter % NC_SLOTS` holds which nonce owns it and that nonce's highest nc. Typed arrays (768 KB),
   * because a Map written on every REGISTER (it grew to 200,000 entries at 2,000 registrations/s) cost
   * more than the rest of the digest check and its growth showed in the tail latency. A nonce whose slot
   * a newer nonce has taken (NC_SLOTS challenges later: half a minute at 2,000/s, far longer in normal
   * use, and devices re-register on a fresh challenge anyway) has lost its count, so it is refused as
   * unknown and the device gets a fresh challenge: never a replay accepted.
   */
  static readonly NC_SLOTS = 1 << 16;
  private readonly ncOwner = new Float64Array(DigestAuth.NC_SLOTS);
  private readonly ncSeen = new Uint32Array(DigestAuth.NC_SLOTS);
  /** The keyed HMAC state, copied for each signature (cheaper than keying a new one every time). */
  private readonly hmac: Bun.CryptoHasher;
  /**
   * The middle part of each nonce: a counter from a random start, so every nonce differs (nc is tracked
   * per nonce by it) without drawing random bytes per challenge; the HMAC is what makes nonces unforgeable.
   */
  private counter: number;
  constructor(private readonly o: DigestOptions) {
    this.secret = o.secret ?? randomBytes(32);
    this.hmac = new Bun.CryptoHasher("sha256", this.secret);
    this.counter = randomBytes(6).readUIntBE(0, 6) % 2 ** 47; // wraps (2^48) only after centuries
  }

  get realm(): string { return this.o.realm(); }

  newNonce(): string {
    const ts = Math.floor(this.o.now()).toString(16);
    this.counter = (this.counter + 1) % 0x1000000000000;
    const rnd = this.counter.toString(16).padStart(12, "0");
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
    if (cred.qop && (!cred.nc || !isNc(cred.nc) || !cred.cnonce)) return { ok: false, why: "malformed" };
    const ours = this.readNonce(cred.nonce);
    if (ours === null) return { ok: false, why: "nonce" };
    const password = passwordFor(cred.username);
    if (password === null) return { ok: false, why: "username" };
    const expect = digestResponse({ username: cred.username, realm: cred.realm, password, method, uri: cred.uri, nonce: cred.nonce, qop: cred.qop, nc: cred.nc, cnonce: cred.cnonce });
    if (!safeEq(expect, cred.response.toLowerCase())) return { ok: false, why: "password" };
    if (ours.age > this.o.nonceTtlMs()) return { ok: false, why: "stale" };
    if (cred.qop) {
      const nc = parseInt(cred.nc!, 16);
      const owner = ours.counter + 1;
      const slot = owner % DigestAuth.NC_SLOTS;
      const held = this.ncOwner[slot];
      if (held > owner || (held === owner && nc <= this.ncSeen[slot])) return { ok: false, why: "nonce" };
      this.ncOwner[slot] = owner;
      this.ncSeen[slot] = nc;
    }
    return { ok: true, username: cred.username };
  }

  /** Age in ms and counter of a nonce we issued (`ts.counter.signature`), or null for one we did not. */
  private readNonce(nonce: string): { age: number; counter: number } | null {
    const a = nonce.indexOf("."), b = nonce.lastIndexOf(".");
    if (a <= 0 || b <= a || nonce.indexOf(".", a + 1) !== b) return null;
    if (!safeEq(this.sign(nonce.slice(0, b)), nonce.slice(b + 1))) return null;
    const ts = parseInt(nonce.slice(0, a), 16), counter = parseInt(nonce.slice(a + 1, b), 16);
    if (!Number.isFinite(ts) || !Number.isFinite(counter)) return null;
    return { age: Math.max(0, this.o.now() - ts), counter };
  }

  private sign(s: string): string {
    return (this.hmac.copy().update(s).digest("base64url") as string).slice(0, 22);
  }
}

/** nc: 8 hex digits (RFC 2617 3.2.2). */
function isNc(s: string): boolean {
  if (s.length !== 8) return false;
  for (let i = 0; i < 8; i++) { const c = s.charCodeAt(i); if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false; }
  return true;
}

/** Constant-time comparison (the time does not tell how many leading characters matched). */
function safeEq(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}
