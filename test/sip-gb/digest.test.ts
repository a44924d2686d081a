// Digest authentication (RFC 2617, RFC 3261 22.4): the RFC vector, header parsing, nonce expiry with
// stale=true, nonce-count replay, and the username rules of per-device vs global passwords.
import { describe, expect, test } from "bun:test";
import { DigestAuth, digestResponse, md5hex, parseAuthorization } from "../../app/sip/registrar/digest.ts";

describe("digest", () => {
  test("RFC 2617 section 3.5 example (qop=auth)", () => {
    expect(digestResponse({
      username: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life", method: "GET",
      uri: "/dir/index.html", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", qop: "auth", nc: "00000001", cnonce: "0a4f113b",
    })).toBe("6629fae49393a05397450978507c4ef1");
    expect(md5hex("")).toBe("d41d8cd98f00b204e9800998ecf8427e");
  });

  test("parses the RFC 2617 Authorization header, quoted commas included", () => {
    const p = parseAuthorization(`Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"`);
    expect(p).toMatchObject({ username: "Mufasa", realm: "testrealm@host.com", qop: "auth", nc: "00000001", cnonce: "0a4f113b", response: "6629fae49393a05397450978507c4ef1" });
    expect(parseAuthorization(`Digest username="a,b", realm="r", nonce="n", uri="sip:x", response="00"`)?.username).toBe("a,b");
    expect(parseAuthorization("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")).toBeNull();
    expect(parseAuthorization("Digest username=")).toBeNull();
    expect(parseAuthorization("Digest \"\"\"===,,,")).toBeNull();
  });

  function setup(ttlMs = 60_000) {
    let now = 1_000_000;
    const auth = new DigestAuth({ realm: () => "3402000000", nonceTtlMs: () => ttlMs, now: () => now });
    const nonceOf = (ch: string) => /nonce="([^"]+)"/.exec(ch)![1];
    const cred = (nonce: string, username: string, password: string, nc = "00000001") => ({
      username, realm: "3402000000", nonce, uri: "sip:34020000002000000001@3402000000", qop: "auth", nc, cnonce: "abc",
      response: digestResponse({ username, realm: "3402000000", password, method: "REGISTER", uri: "sip:34020000002000000001@3402000000", nonce, qop: "auth", nc, cnonce: "abc" }),
    });
    return { auth, nonceOf, cred, advance: (ms: number) => { now += ms; } };
  }

  test("accepts good credentials, refuses a wrong password, a foreign nonce and a replayed nc", () => {
    const { auth, nonceOf, cred } = setup();
    const ch = auth.challenge();
    expect(ch).toContain('realm="3402000000"');
    expect(ch).toContain('qop="auth"');
    expect(ch).not.toContain("stale");
    const n = nonceOf(ch);
    expect(auth.verify(cred(n, "dev1", "pw"), "REGISTER", () => "pw")).toEqual({ ok: true, username: "dev1" });
    expect(auth.verify(cred(n, "dev1", "pw"), "REGISTER", () => "pw")).toEqual({ ok: false, why: "nonce" }); // same nc again
    expect(auth.verify(cred(n, "dev1", "pw", "00000002"), "REGISTER", () => "pw").ok).toBe(true);
    expect(auth.verify(cred(n, "dev1", "nope", "00000003"), "REGISTER", () => "pw")).toEqual({ ok: false, why: "password" });
    expect(auth.verify(cred("abc.def.ghi", "dev1", "pw"), "REGISTER", () => "pw")).toEqual({ ok: false, why: "nonce" });
    expect(auth.verify({ ...cred(n, "dev1", "pw", "00000009"), nc: "zz" }, "REGISTER", () => "pw")).toEqual({ ok: false, why: "malformed" });
    expect(auth.verify(cred(n, "dev1", "pw", "0000000a"), "REGISTER", () => null)).toEqual({ ok: false, why: "username" });
  });

  test("an expired nonce with the right password is stale; with a wrong one it is a wrong password", () => {
    const { auth, nonceOf, cred, advance } = setup(5_000);
    const n = nonceOf(auth.challenge());
    advance(5_001);
    expect(auth.verify(cred(n, "dev1", "pw"), "REGISTER", () => "pw")).toEqual({ ok: false, why: "stale" });
    expect(auth.verify(cred(n, "dev1", "bad"), "REGISTER", () => "pw")).toEqual({ ok: false, why: "password" });
    expect(auth.challenge(true)).toContain("stale=true");
  });

  test("without qop (RFC 2069 form) the response is checked too", () => {
    const { auth, nonceOf } = setup();
    const nonce = nonceOf(auth.challenge());
    const response = digestResponse({ username: "u", realm: "3402000000", password: "pw", method: "REGISTER", uri: "sip:x", nonce });
    expect(auth.verify({ username: "u", realm: "3402000000", nonce, uri: "sip:x", response }, "REGISTER", () => "pw").ok).toBe(true);
  });

  test("a nonce whose count slot a much newer nonce took is refused as unknown (fresh challenge), never replayed", () => {
    const { auth, nonceOf, cred } = setup();
    const n = nonceOf(auth.challenge());
    expect(auth.verify(cred(n, "d", "pw", "00000001"), "REGISTER", () => "pw").ok).toBe(true);
    let last = "";
    for (let i = 0; i < DigestAuth.NC_SLOTS; i++) last = auth.challenge();
    const newer = nonceOf(last);
    expect(auth.verify(cred(newer, "d", "pw", "00000001"), "REGISTER", () => "pw").ok).toBe(true);
    // `newer` is NC_SLOTS challenges after `n`: same slot. n's count is gone, so n is not accepted again.
    expect(auth.verify(cred(n, "d", "pw", "00000002"), "REGISTER", () => "pw")).toEqual({ ok: false, why: "nonce" });
    expect(auth.verify(cred(newer, "d", "pw", "00000001"), "REGISTER", () => "pw")).toEqual({ ok: false, why: "nonce" });
    expect(auth.verify(cred(newer, "d", "pw", "00000002"), "REGISTER", () => "pw").ok).toBe(true);
  });

  test("nonce counts are remembered for the nonce's whole lifetime", () => {
    const { auth, nonceOf, cred, advance } = setup(10_000);
    const n = nonceOf(auth.challenge());
    expect(auth.verify(cred(n, "d", "pw", "00000001"), "REGISTER", () => "pw").ok).toBe(true);
    advance(6_000);
    const other = nonceOf(auth.challenge());
    expect(auth.verify(cred(other, "d", "pw", "00000001"), "REGISTER", () => "pw").ok).toBe(true);   // rotates
    advance(3_000);
    expect(auth.verify(cred(n, "d", "pw", "00000001"), "REGISTER", () => "pw")).toEqual({ ok: false, why: "nonce" });
    expect(auth.verify(cred(n, "d", "pw", "00000002"), "REGISTER", () => "pw").ok).toBe(true);
  });
});
