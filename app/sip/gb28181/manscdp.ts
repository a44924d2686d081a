// MANSCDP+xml bodies (GB/T 28181-2016 appendix A): decoding, lenient parsing, and the queries we send.
// Cameras declare GB2312 (sometimes UTF-8, sometimes nothing) and some send a raw `&` in names, so:
// bytes are decoded with the charset of the XML declaration (GB2312/GBK/GB18030 through Bun's
// TextDecoder, which supports them natively), a stray `&` is escaped before parsing, and every value
// is kept as a string (20-digit IDs must not become numbers).
import { XMLParser } from "fast-xml-parser";

export type Manscdp = { root: "Notify" | "Response" | "Query" | "Control"; cmdType: string; sn: number | null; deviceId: string; body: Record<string, any> };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: true,       // also &#NNNN; character references
  ignoreDeclaration: true,
  isArray: (name, jpath) => name === "Item" && /(DeviceList|RecordList|AlarmList|Info)\.Item$/.test(String(jpath)),
});

const gbDecoder = new TextDecoder("gb18030");   // a superset of GBK and GB2312
const utf8Fatal = new TextDecoder("utf-8", { fatal: true });
const utf8 = new TextDecoder("utf-8");

/** The charset named in `<?xml ... encoding="..."?>`, lower case, or null. */
export function declaredCharset(bytes: Uint8Array): string | null {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(200, bytes.byteLength)).toString("latin1");
  const m = /<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.-]+)["']/i.exec(head);
  return m ? m[1].toLowerCase() : null;
}

/** Decodes as declared; with no declaration, UTF-8 if it is valid UTF-8, else GB18030. */
export function decodeBody(bytes: Uint8Array): string {
  const cs = declaredCharset(bytes);
  if (cs && /^(gb2312|gbk|gb18030|gb_2312-80|x-gbk|euc-cn|cp936)$/.test(cs)) return gbDecoder.decode(bytes);
  if (cs && /^utf-?8$/.test(cs)) return utf8.decode(bytes);
  try { return utf8Fatal.decode(bytes); } catch { return gbDecoder.decode(bytes); }
}

/** Escapes `&` that does not start an entity (cameras that write "A&B" in a name). */
export function escapeStrayAmpersands(xml: string): string {
  return xml.replace(/&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);)/g, "&amp;");
}

export type ParseResult = { ok: true; msg: Manscdp } | { ok: false; error: string };

/** Parses a MANSCDP body; a malformed one is an error value, never an exception. */
export function parseManscdp(bytes: Uint8Array): ParseResult {
  let doc: Record<string, any>;
  try {
    doc = parser.parse(escapeStrayAmpersands(decodeBody(bytes)));
  } catch (e) {
    return { ok: false, error: `XML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}` };
  }
  for (const root of ["Notify", "Response", "Query", "Control"] as const) {
    const body = doc?.[root];
    if (body === undefined) continue;
    if (typeof body !== "object" || body === null) return { ok: false, error: `<${root}> is empty` };
    const cmdType = str(body.CmdType);
    const deviceId = str(body.DeviceID);
    if (!cmdType) return { ok: false, error: "CmdType missing" };
    if (!deviceId) return { ok: false, error: "DeviceID missing" };
    const sn = Number.parseInt(str(body.SN), 10);
    return { ok: true, msg: { root, cmdType, sn: Number.isFinite(sn) ? sn : null, deviceId, body } };
  }
  return { ok: false, error: "no Notify, Response, Query or Control element" };
}

/** Text of an element that may be a string, a number or an object with attributes. */
export function str(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "object") return str((v as any)["#text"]);
  return String(v).trim();
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

/** A query we send (A.2.4): `<Query><CmdType/><SN/><DeviceID/></Query>`, ASCII so GB2312 is exact. */
export function queryXml(cmdType: "Catalog" | "DeviceInfo" | "DeviceStatus", sn: number, deviceId: string): string {
  return `<?xml version="1.0" encoding="GB2312"?>\r\n<Query>\r\n<CmdType>${cmdType}</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${esc(deviceId)}</DeviceID>\r\n</Query>\r\n`;
}

/** Items of a Catalog response packet, each flattened to strings. */
export function catalogItems(body: Record<string, any>): Record<string, string>[] {
  const list = body.DeviceList;
  const items: unknown[] = list && typeof list === "object" ? (list.Item ?? []) : [];
  return (Array.isArray(items) ? items : [items]).filter((x) => x && typeof x === "object").map((x) => flatten(x as Record<string, unknown>));
}

/** An element's children as strings (nested objects such as <Info> become JSON). */
export function flatten(o: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k.startsWith("@")) continue;
    out[k] = v !== null && typeof v === "object" && !("#text" in (v as object)) ? JSON.stringify(v) : str(v);
  }
  return out;
}
