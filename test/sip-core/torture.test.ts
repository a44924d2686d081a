// RFC 4475 "SIP Torture Test Messages", section 3.1 (parser tests; texts in rfc4475.ts). Valid ones must
// parse and pass validation; invalid ones must give a parse error or a 4xx/5xx rejection — never an
// exception.
import { describe, expect, test } from "bun:test";
import { checkRequest, checkResponse, contactsOf, cseqOf, fromOf, parse, serialize, toOf, topVia, utf8, type SipMessage } from "../../app/sip/message/index.ts";
import { invalid, valid } from "./rfc4475.ts";

/** The status an engine gives (0 = parse error, dropped or 400 by the parse path). */
function verdict(bytes: Uint8Array): { parsed: SipMessage | null; error: string | null; status: number | null } {
  const r = parse(bytes);
  if (!r.ok) return { parsed: r.message ?? null, error: r.error, status: null };
  const m = r.message;
  if (m.kind === "request") { const rej = checkRequest(m); return { parsed: m, error: null, status: rej?.status ?? null }; }
  const bad = checkResponse(m);
  return { parsed: m, error: bad, status: null };
}

describe("RFC 4475 valid messages parse", () => {
  for (const [name, bytes] of Object.entries(valid)) {
    test(name, () => {
      const v = verdict(bytes);
      expect(v.error).toBeNull();
      expect(v.status).toBeNull();
      // Round trip: what we write parses to the same start line and header values.
      const again = parse(serialize(v.parsed!));
      expect(again.ok).toBe(true);
      if (again.ok) {
        // Content-Length is rewritten from the body, at the end; every other field keeps its place and value.
        const fields = (m: SipMessage) => m.headers.fields.filter((f) => f.key !== "content-length").map((f) => [f.key, f.value]);
        expect(fields(again.message)).toEqual(fields(v.parsed!));
        expect(again.message.headers.get("content-length")).toBe(String(v.parsed!.body.length));
        expect(Buffer.from(again.message.body).equals(Buffer.from(v.parsed!.body))).toBe(true);
      }
    });
  }

  test("wsinv: folding, compact forms, case, LWS around separators", () => {
    const m = parse(valid.wsinv) as any;
    const req = m.message;
    expect(req.method).toBe("INVITE");
    expect(toOf(req)!.params.get("tag")).toBe("1918181833n");
    expect(fromOf(req)!.params.get("tag")).toBe("98asjd8");
    expect(fromOf(req)!.display).toBe('"J Rosenberg \\\\\\""');
    expect(cseqOf(req)).toEqual({ seq: 9, method: "INVITE" });
    expect(req.headers.getAll("via").length).toBe(3);
    expect(topVia(req)!.params.get("branch")).toBe("390skdjuw");
    expect(req.headers.get("newfangledheader")).toBe("newfangled value continued newfangled value");
    const c = contactsOf(req)!.contacts[0];
    expect(c.params.get("q")).toBe("0.33");
    expect(c.params.has("secondparam")).toBe(true);
    expect(req.body.length).toBe(150);
  });

  test("intmeth: unusual token characters and a URI user with ?;,:", () => {
    const req = (parse(valid.intmeth) as any).message;
    expect(req.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(toOf(req)!.uri.host).toBe("example.com");
    expect(utf8(req.headers.get("extensionheader-!.%*+_`'~"))).toBe("\u5927\u505c\u96fb");
  });

  test("dblreq: a datagram's bytes after Content-Length are ignored", () => {
    const req = (parse(valid.dblreq) as any).message;
    expect(req.method).toBe("REGISTER");
    expect(req.body.length).toBe(0);
  });

  test("longreq: 34 Vias in many spellings", () => {
    const req = (parse(valid.longreq) as any).message;
    expect(req.headers.getAll("via").length).toBe(34);
    expect(topVia(req)!.host).toBe("sip33.example.com");
  });

  test("unreason and noreason", () => {
    const a = (parse(valid.unreason) as any).message;
    expect(a.status).toBe(200);
    expect(utf8(a.reason)).toContain("\u043f\u0440\u043e\u0441\u0442\u043e\u0435");
    const b = (parse(valid.noreason) as any).message;
    expect(b.status).toBe(100);
    expect(b.reason).toBe("");
  });
});

describe("RFC 4475 invalid messages are rejected, never thrown", () => {
  for (const [name, bytes] of Object.entries(invalid)) {
    test(name, () => {
      const v = verdict(bytes);
      expect(v.error !== null || (v.status !== null && v.status >= 400)).toBe(true);
    });
  }
  test("badvers is 505, mismatches and bad addresses are 400", () => {
    expect(verdict(invalid.badvers).status).toBe(505);
    expect(verdict(invalid.unkscm).status).toBe(416);
    expect(verdict(invalid.novelsc).status).toBe(416);
    expect(verdict(invalid.multi01).status).toBe(400);
    const insuf = parse(invalid.insuf);
    expect(insuf.ok && insuf.message.kind === "request" && checkRequest(insuf.message)?.answerable).toBe(false); // dropped: no To/From/Call-ID to answer with
    expect(parse(invalid.mcl01).ok).toBe(false);
    for (const n of ["mismatch01", "mismatch02", "quotbal", "badaspec", "baddn", "regbadct", "escruri", "baddate", "ltgtruri", "scalar02"]) {
      expect([n, verdict(invalid[n]).status]).toEqual([n, 400]);
    }
    // Parse errors that still carry a message the engine can answer with 400:
    for (const n of ["clerr", "ncl"]) { const r = parse(invalid[n]); expect(r.ok).toBe(false); if (!r.ok) expect(r.message?.kind).toBe("request"); }
  });
});
