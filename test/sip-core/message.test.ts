// Parser and serialiser on GB/T 28181-2016 style traffic and the header grammar details.
import { describe, expect, test } from "bun:test";
import {
  Headers, callIdOf, contactsOf, contentTypeOf, cseqOf, expiresOf, formatNameAddr, formatUri, fromOf, makeRequest,
  makeResponse, parse, parseNameAddr, parseUri, parseVia, serialize, splitList, toOf, topVia, type SipRequest,
} from "../../app/sip/message/index.ts";
import { enc, GB_REGISTER } from "./harness.ts";


/** A Catalog response as cameras send it: GB2312 body with Chinese names, compact headers. */
function gbCatalog(): Uint8Array {
  const name = Buffer.from([0xc9, 0xe3, 0xcf, 0xf1, 0xbb, 0xfa]); // "摄像机" in GB2312
  const body = Buffer.concat([
    Buffer.from(`<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<CmdType>Catalog</CmdType>\r\n<SN>17430</SN>\r\n<DeviceID>34020000001320000001</DeviceID>\r\n<SumNum>1</SumNum>\r\n<DeviceList Num="1">\r\n<Item>\r\n<DeviceID>34020000001310000001</DeviceID>\r\n<Name>`),
    name,
    Buffer.from(`</Name>\r\n<Status>ON</Status>\r\n</Item>\r\n</DeviceList>\r\n</Response>\r\n`),
  ]);
  const head = Buffer.from(`MESSAGE sip:34020000002000000001@3402000000 SIP/2.0\r\nv: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1950289510\r\nf: "`, "latin1");
  const head2 = Buffer.from(`" <sip:34020000001320000001@3402000000>;tag=1402337468\r\nt: <sip:34020000002000000001@3402000000>\r\ni: 1547963924\r\nCSeq: 20 MESSAGE\r\nc: Application/MANSCDP+xml\r\nMax-Forwards: 70\r\nUser-Agent: IP Camera\r\nl: ${body.length}\r\n\r\n`, "latin1");
  return Buffer.concat([head, name, head2, body]);
}

describe("GB/T 28181 samples", () => {
  test("REGISTER with digest Authorization: one field, commas kept; Expires; Contact", () => {
    const r = parse(enc(GB_REGISTER));
    expect(r.ok).toBe(true);
    const m = (r as any).message as SipRequest;
    expect(m.method).toBe("REGISTER");
    expect(m.headers.getAll("authorization").length).toBe(1);
    expect(m.headers.get("authorization")).toContain('algorithm=MD5');
    expect(expiresOf(m)).toBe(3600);
    expect(contactsOf(m)!.contacts[0].uri.user).toBe("34020000001320000001");
    expect(contactsOf(m)!.contacts[0].uri.port).toBe(5060);
    expect(fromOf(m)!.params.get("tag")).toBe("2043466181");
    expect(topVia(m)!.params.has("rport")).toBe(true);
    expect(cseqOf(m)).toEqual({ seq: 2, method: "REGISTER" });
  });

  test("MESSAGE with a GB2312 body and a GB2312 display name: bytes survive parse and serialise", () => {
    const wire = gbCatalog();
    const r = parse(wire);
    expect(r.ok).toBe(true);
    const m = (r as any).message as SipRequest;
    expect(contentTypeOf(m)).toBe("application/manscdp+xml");
    expect(callIdOf(m)).toBe("1547963924");
    expect(new TextDecoder("gbk").decode(m.body)).toContain("<Name>摄像机</Name>");
    expect(fromOf(m)!.display).toBe('"' + Buffer.from([0xc9, 0xe3, 0xcf, 0xf1, 0xbb, 0xfa]).toString("latin1") + '"');
    const out = Buffer.from(serialize(m));
    // Same bytes apart from header spelling (compact names are written out in full).
    expect(out.includes(Buffer.from([0xc9, 0xe3, 0xcf, 0xf1, 0xbb, 0xfa]))).toBe(true);
    expect(out.subarray(out.length - m.body.length).equals(Buffer.from(m.body))).toBe(true);
    // A response copies the From bytes unchanged.
    const res = Buffer.from(serialize(makeResponse(m, 200)));
    expect(res.includes(Buffer.concat([Buffer.from('From: "'), Buffer.from([0xc9, 0xe3, 0xcf, 0xf1, 0xbb, 0xfa])]))).toBe(true);
  });
});

describe("header grammar", () => {
  test("compact forms and case-insensitive names map to one key", () => {
    const h = new Headers([["v", "SIP/2.0/UDP a"], ["VIA", "SIP/2.0/UDP b"], ["i", "x"], ["l", "0"], ["m", "<sip:a@b>"], ["k", "path"]]);
    expect(h.getAll("Via")).toEqual(["SIP/2.0/UDP a", "SIP/2.0/UDP b"]);
    expect(h.get("call-id")).toBe("x");
    expect(h.get("Contact")).toBe("<sip:a@b>");
    expect(h.get("supported")).toBe("path");
    expect(h.fields.map((f) => f.name)).toEqual(["Via", "Via", "Call-ID", "Content-Length", "Contact", "Supported"]);
  });

  test("list headers split at commas outside quotes and <>", () => {
    expect(splitList(`"Doe, John" <sip:j@x;a=1,2>;q=0.5, <sip:k@y>, sip:l@z`)).toEqual([`"Doe, John" <sip:j@x;a=1,2>;q=0.5`, "<sip:k@y>", "sip:l@z"]);
    const m = (parse(enc(`NOTIFY sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h1;branch=z9hG4bK1, SIP/2.0/TCP h2:5070;branch=z9hG4bK2\nContact: "A, B" <sip:a@b>, <sip:c@d>\nFrom: <sip:x@y>;tag=1\nTo: <sip:x@y>\nCall-ID: c\nCSeq: 1 NOTIFY\nContent-Length: 0\n\n`)) as any).message;
    expect(m.headers.getAll("via").length).toBe(2);
    expect(parseVia(m.headers.getAll("via")[1])).toMatchObject({ transport: "TCP", host: "h2", port: 5070 });
    expect(contactsOf(m)!.contacts.map((c) => c.uri.user)).toEqual(["a", "c"]);
  });

  test("Via: branch, rport with and without value, received, IPv6", () => {
    const v = parseVia("SIP/2.0/UDP [2001:db8::9]:5062;received=192.0.2.1;rport=5099;branch=z9hG4bKx")!;
    expect(v).toMatchObject({ protocol: "SIP/2.0", transport: "UDP", host: "[2001:db8::9]", port: 5062 });
    expect(v.params.get("rport")).toBe("5099");
    expect(parseVia("SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKy")!.params.get("rport")).toBeNull();
    expect(parseVia("SIP/2.0/UDP 10.0.0.1;rport=abc")).toBeNull();
    expect(parseVia("SIP/2.0 10.0.0.1")).toBeNull();
  });

  test("URIs: user, password, port, params, headers; other schemes opaque", () => {
    const u = parseUri("sip:alice:secret@atlanta.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent")!;
    expect(u).toMatchObject({ scheme: "sip", user: "alice", password: "secret", host: "atlanta.com", port: 5061, headers: "subject=project%20x&priority=urgent" });
    expect(u.params.get("transport")).toBe("tcp");
    expect(u.params.get("lr")).toBeNull();
    expect(formatUri(u)).toBe("sip:alice:secret@atlanta.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent");
    expect(parseUri("tel:+1-201-555-0123")!.opaque).toBe("+1-201-555-0123");
    expect(parseUri("sip:host?subject=hello")!).toMatchObject({ host: "host", user: null, headers: "subject=hello" });
    for (const bad of ["sip:", "sip:a@", "sip:a b@c", "sip:h:99999", "sip:h:", "sip:[::1", "nocolon"]) expect(parseUri(bad)).toBeNull();
  });

  test("name-addr and addr-spec: where the parameters belong", () => {
    const a = parseNameAddr(`"Cam 1" <sip:34020000001320000001@3402000000;transport=udp>;tag=abc`)!;
    expect(a.display).toBe('"Cam 1"');
    expect(a.uri.params.get("transport")).toBe("udp");
    expect(a.params.get("tag")).toBe("abc");
    const b = parseNameAddr("sip:34020000001320000001@3402000000;tag=xyz")!;
    expect(b.uri.params.size).toBe(0);
    expect(b.params.get("tag")).toBe("xyz");
    expect(formatNameAddr(a)).toBe(`"Cam 1" <sip:34020000001320000001@3402000000;transport=udp>;tag=abc`);
  });
});

describe("building and serialising", () => {
  test("makeResponse copies Via/From/To/Call-ID/CSeq, adds one To tag, keeps an existing one", () => {
    const req = (parse(enc(GB_REGISTER)) as any).message as SipRequest;
    const res = makeResponse(req, 200, undefined, { headers: { Expires: "3600" }, toTag: "fixed" });
    expect(res.reason).toBe("OK");
    expect(res.headers.get("via")).toBe(req.headers.get("via"));
    expect(toOf(res)!.params.get("tag")).toBe("fixed");
    expect(res.headers.get("expires")).toBe("3600");
    expect(res.headers.has("record-route")).toBe(false);
    req.headers.add("Record-Route", "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>");
    expect(makeResponse(req, 200).headers.get("record-route")).toBe("<sip:p1.example.com;lr>, <sip:p2.example.com;lr>");
    expect(makeResponse(req, 403).headers.has("record-route")).toBe(false);
    const trying = makeResponse(req, 100);
    expect(toOf(trying)!.params.has("tag")).toBe(false);
    const round = parse(serialize(res));
    expect(round.ok && round.message.kind === "response" && round.message.status).toBe(200);
  });

  test("makeRequest: tag, Call-ID, CSeq, body with Content-Type, Content-Length from the body", () => {
    const body = `<?xml version="1.0"?>\n<Query><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>34020000001320000001</DeviceID></Query>\n`;
    const req = makeRequest({ method: "MESSAGE", uri: "sip:34020000001320000001@192.168.1.64:5060", from: "<sip:34020000002000000001@3402000000>", to: "<sip:34020000001320000001@3402000000>", body, contentType: "Application/MANSCDP+xml" });
    req.headers.prepend("Via", "SIP/2.0/UDP 192.168.1.10:5060;rport;branch=z9hG4bKq");
    const r = parse(serialize(req));
    expect(r.ok).toBe(true);
    const m = (r as any).message as SipRequest;
    expect(fromOf(m)!.params.get("tag")).toBeTruthy();
    expect(cseqOf(m)).toEqual({ seq: 1, method: "MESSAGE" });
    expect(m.headers.get("content-length")).toBe(String(Buffer.byteLength(body)));
    expect(new TextDecoder().decode(m.body)).toBe(body);
  });

  test("values with characters above U+00FF written by user code go out as UTF-8", () => {
    const req = makeRequest({ method: "MESSAGE", uri: "sip:a@b", from: `"摄像机" <sip:a@b>`, to: "<sip:c@d>" });
    req.headers.prepend("Via", "SIP/2.0/UDP h;branch=z9hG4bKu");
    const out = Buffer.from(serialize(req));
    expect(out.includes(Buffer.from("摄像机", "utf8"))).toBe(true);
  });

  test("truncated and oversized inputs are errors, not exceptions", () => {
    const full = enc(GB_REGISTER);
    for (let n = 0; n < full.length; n += 7) {
      const r = parse(full.subarray(0, n));
      expect(typeof r.ok).toBe("boolean");
    }
    expect(parse(new Uint8Array(0)).ok).toBe(false);
    expect(parse(enc("OPTIONS sip:a SIP/2.0\n" + "X: y\n".repeat(20000) + "\n")).ok).toBe(false);
  });
});
