// MANSCDP bodies: GB2312/GBK and UTF-8 decoding per the XML declaration, leniency about stray `&`,
// IDs kept as strings, malformed bodies as error values; multi-packet Catalog assembly by SN.
import { describe, expect, test } from "bun:test";
import { SimClock } from "../../app/core/clock.ts";
import { CatalogAssembler, type CatalogResult } from "../../app/sip/gb28181/catalog.ts";
import { encodeGbk } from "../../scripts/sim-devices/sip.ts";
import { catalogItems, decodeBody, declaredCharset, parseManscdp, queryXml } from "../../app/sip/gb28181/manscdp.ts";

/** "<Name>中文摄像机</Name>" in GBK: 中 D6D0 文 CEC4 摄 C9E3 像 CFF1 机 BBFA. */
const GBK_NAME = [0xd6, 0xd0, 0xce, 0xc4, 0xc9, 0xe3, 0xcf, 0xf1, 0xbb, 0xfa];

function bytes(...parts: (string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) out.push(...(typeof p === "string" ? new TextEncoder().encode(p) : p));
  return new Uint8Array(out);
}

describe("MANSCDP", () => {
  test("GB2312-declared body decodes Chinese names (GBK bytes)", () => {
    const b = bytes(`<?xml version="1.0" encoding="GB2312"?>\r\n<Response><CmdType>DeviceInfo</CmdType><SN>7</SN><DeviceID>34020000001320000001</DeviceID><DeviceName>`, GBK_NAME, `</DeviceName></Response>`);
    expect(declaredCharset(b)).toBe("gb2312");
    const r = parseManscdp(b);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.msg.body.DeviceName).toBe("中文摄像机");
    expect(r.msg.deviceId).toBe("34020000001320000001"); // a string, not 3.4e19
    expect(r.msg.sn).toBe(7);
  });

  test("UTF-8 declared and undeclared bodies; undeclared non-UTF-8 falls back to GB18030", () => {
    expect(decodeBody(bytes(`<?xml version="1.0" encoding="UTF-8"?><a>中文</a>`))).toContain("中文");
    expect(decodeBody(bytes(`<a>中文</a>`))).toContain("中文");
    expect(decodeBody(bytes(`<a>`, GBK_NAME.slice(0, 4), `</a>`))).toBe("<a>中文</a>");
    expect(decodeBody(bytes(`<?xml version='1.0' encoding='gbk'?><a>`, GBK_NAME.slice(0, 4), `</a>`))).toContain("中文");
  });

  test("a stray & in a name is accepted; real entities are kept", () => {
    const r = parseManscdp(bytes(`<?xml version="1.0"?><Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>1</DeviceID><Info>R&D gate &amp; door &lt;1&gt; &#20013;</Info></Notify>`));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.msg.body.Info).toBe("R&D gate & door <1> 中");
  });

  test("malformed bodies are error values, never exceptions", () => {
    for (const b of ["", "garbage <<<", "<Notify></Notify>", "<Notify><CmdType>Keepalive</CmdType></Notify>", "<Other><CmdType>x</CmdType><DeviceID>1</DeviceID></Other>", "<Notify><CmdType>K</CmdType><DeviceID>1</DeviceID>"]) {
      const r = parseManscdp(bytes(b));
      if (r.ok) expect(r.msg.cmdType).toBe("K"); // unclosed root is tolerated
      else expect(typeof r.error).toBe("string");
    }
    const rnd = new Uint8Array(4096);
    for (let i = 0; i < 200; i++) { crypto.getRandomValues(rnd); expect(() => parseManscdp(rnd)).not.toThrow(); }
  });

  test("queries are GB2312-declared Query documents", () => {
    const q = queryXml("Catalog", 42, "34020000001320000001");
    const r = parseManscdp(bytes(q));
    expect(r.ok && r.msg).toMatchObject({ root: "Query", cmdType: "Catalog", sn: 42, deviceId: "34020000001320000001" });
    expect(q.startsWith('<?xml version="1.0" encoding="GB2312"?>')).toBe(true);
  });

  test("Catalog items: one Item or many", () => {
    const one = parseManscdp(bytes(`<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>d</DeviceID><SumNum>1</SumNum><DeviceList Num="1"><Item><DeviceID>c1</DeviceID><Name>A</Name></Item></DeviceList></Response>`));
    expect(one.ok && catalogItems(one.msg.body)).toEqual([{ DeviceID: "c1", Name: "A" }]);
    const none = parseManscdp(bytes(`<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>d</DeviceID><SumNum>0</SumNum><DeviceList Num="0"></DeviceList></Response>`));
    expect(none.ok && catalogItems(none.msg.body)).toEqual([]);
  });
});

describe("Catalog assembly", () => {
  function setup(timeoutMs = 5_000) {
    const clock = new SimClock();
    const done: CatalogResult[] = [];
    const a = new CatalogAssembler({ clock, timeoutMs: () => timeoutMs, onDone: (r) => done.push(r) });
    return { clock, done, a };
  }
  const items = (...ids: string[]) => ids.map((id) => ({ DeviceID: id, Name: `n${id}` }));

  test("packets with the same SN are joined until SumNum, duplicates counted once", () => {
    const { a, done } = setup();
    a.add("dev", 5, 5, items("1", "2"));
    a.add("dev", 6, 1, items("x"));           // another query's answer, separate
    a.add("dev", 5, 5, items("2", "3"));       // retransmitted item 2
    expect(done.map((d) => d.sn)).toEqual([6]);
    a.add("dev", 5, 5, items("4", "5"));
    expect(done[1]).toMatchObject({ device: "dev", sn: 5, sumNum: 5, complete: true });
    expect(done[1].channels.map((c) => c.DeviceID)).toEqual(["1", "2", "3", "4", "5"]);
    expect(a.size).toBe(0);
  });

  test("a lost packet: what arrived is delivered as partial after the timeout, counted from the last packet", () => {
    const { a, done, clock } = setup(5_000);
    a.add("dev", 9, 4, items("1"));
    clock.advance(4_000);
    a.add("dev", 9, 4, items("2"));
    clock.advance(4_999);
    expect(done).toEqual([]);
    clock.advance(1);
    expect(done[0]).toMatchObject({ complete: false, sumNum: 4 });
    expect(done[0].channels.length).toBe(2);
    expect(clock.pending()).toBe(0);
  });

  test("SumNum 0 completes at once", () => {
    const { a, done } = setup();
    a.add("dev", 1, 0, []);
    expect(done[0]).toMatchObject({ complete: true, channels: [] });
  });

  test("the simulator's GBK encoder round-trips through the gateway's decoder", () => {
    const text = `<?xml version="1.0" encoding="GB2312"?><Notify><CmdType>Alarm</CmdType><SN>3</SN><DeviceID>x</DeviceID><Desc>北京市 通道 R&D ①</Desc></Notify>`;
    const r = parseManscdp(encodeGbk(text));
    expect(r.ok && r.msg.body.Desc).toBe("北京市 通道 R&D ①");
  });
});
