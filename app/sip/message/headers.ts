// Header fields: canonical names with their compact forms (RFC 3261 7.3.3, 20), an ordered field list
// looked up case-insensitively, and the comma splitter for list headers (RFC 3261 7.3.1).
//
// Values are kept as "binary" strings: every char is one byte of the wire (latin1), so a field read
// from the network goes back out byte for byte (a GB2312 display name survives). See serialize.ts for
// how values that user code writes with characters above U+00FF are encoded (UTF-8).

/** Lower-case full name → canonical spelling. */
const CANONICAL: Record<string, string> = {};
for (const n of [
  "Accept", "Accept-Contact", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Allow-Events",
  "Authentication-Info", "Authorization", "Call-ID", "Call-Info", "Contact", "Content-Disposition",
  "Content-Encoding", "Content-Language", "Content-Length", "Content-Type", "CSeq", "Date", "Error-Info",
  "Event", "Expires", "From", "Identity", "Identity-Info", "In-Reply-To", "Max-Forwards", "MIME-Version",
  "Min-Expires", "Organization", "P-Asserted-Identity", "Path", "Priority", "Proxy-Authenticate",
  "Proxy-Authorization", "Proxy-Require", "RAck", "Reason", "Record-Route", "Refer-To", "Referred-By",
  "Reject-Contact", "Reply-To", "Request-Disposition", "Require", "Retry-After", "Route", "RSeq",
  "Server", "Session-Expires", "Subject", "Subscription-State", "Supported", "Timestamp", "To",
  "Unsupported", "User-Agent", "Via", "Warning", "WWW-Authenticate", "Min-SE",
]) CANONICAL[n.toLowerCase()] = n;

/** Compact form (RFC 3261 7.3.3 and later RFCs' registrations) → lower-case full name. */
const COMPACT: Record<string, string> = {
  a: "accept-contact", b: "referred-by", c: "content-type", d: "request-disposition", e: "content-encoding",
  f: "from", i: "call-id", j: "reject-contact", k: "supported", l: "content-length", m: "contact",
  n: "identity-info", o: "event", r: "refer-to", s: "subject", t: "to", u: "allow-events", v: "via",
  x: "session-expires", y: "identity",
};

/**
 * Headers whose value is a comma-separated list, split into one field per element when parsed
 * (RFC 3261 7.3.1). Not the authentication headers (their commas separate parameters) nor Date etc.
 */
const LIST = new Set([
  "via", "contact", "route", "record-route", "path", "allow", "supported", "require", "proxy-require",
  "unsupported", "accept", "accept-encoding", "accept-language", "content-encoding", "content-language",
  "allow-events", "in-reply-to", "alert-info", "call-info", "error-info", "warning", "p-asserted-identity",
]);

/** Lookup key of a header name: lower-case full name (compact forms expanded). */
export function headerKey(name: string): string {
  return knownHeaderKey(name) ?? slowHeaderKey(name);
}

function slowHeaderKey(name: string): string {
  const l = name.toLowerCase();
  const k = l.length === 1 ? (COMPACT[l] ?? l) : l;
  // Remembered (bounded, so a peer sending random header names cannot grow it) for knownHeaderKey.
  if (learned < 512) { learned++; remember(name, k); }
  return k;
}

/**
 * Spellings seen, by length: [spelling, key, spelling, key, ...]. Called for every parsed header and
 * every lookup, so a known name is found by comparing it with the few spellings of its length (a
 * string compare) rather than by hashing it into a Map or lower-casing it (a fresh substring has no
 * cached hash; that was ~5 % of the engine's CPU per REGISTER).
 */
const SPELLINGS: string[][] = [];
let learned = 0;
function remember(spelling: string, key: string): void {
  const list = (SPELLINGS[spelling.length] ??= []);
  for (let i = 0; i < list.length; i += 2) if (list[i] === spelling) return;
  list.push(spelling, key);
}
for (const k of Object.keys(CANONICAL)) { remember(CANONICAL[k], k); remember(k, k); }
for (const [c, k] of Object.entries(COMPACT)) { remember(c, k); remember(c.toUpperCase(), k); }

/**
 * The key of a header name seen before (or a standard spelling), or undefined. Every name known here
 * came from our code or passed the parser's token check, so the parser skips that check for it.
 */
export function knownHeaderKey(name: string): string | undefined {
  const list = SPELLINGS[name.length];
  if (list === undefined) return undefined;
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) return list[i + 1];
  return undefined;
}

/** The spelling we write: canonical for known headers, as given for extensions. */
export function canonicalName(name: string): string {
  const k = headerKey(name);
  return CANONICAL[k] ?? (name.length === 1 ? k : name);
}

export function isListHeader(key: string): boolean { return LIST.has(key); }

export interface HeaderField {
  /** Lower-case full name (lookup key). */
  readonly key: string;
  /** Name as written on serialisation. */
  readonly name: string;
  value: string;
}

/** Ordered header fields; names compared case-insensitively with compact forms expanded. */
export class Headers {
  readonly fields: HeaderField[] = [];

  constructor(init?: Iterable<[string, string]> | Record<string, string | string[]>) {
    if (init) this.addAll(init);
  }

  /** Appends fields from pairs or from an object (an array value gives one field per element). */
  addAll(init: Iterable<[string, string]> | Record<string, string | string[]>): this {
    if (Symbol.iterator in (init as object)) for (const [n, v] of init as Iterable<[string, string]>) this.add(n, v);
    else for (const [n, v] of Object.entries(init)) for (const x of Array.isArray(v) ? v : [v]) this.add(n, x);
    return this;
  }

  /** First value, or undefined. */
  get(name: string): string | undefined {
    const k = headerKey(name);
    for (const f of this.fields) if (f.key === k) return f.value;
    return undefined;
  }

  /** Every value in order (list headers arrive already split into elements). */
  getAll(name: string): string[] {
    const k = headerKey(name);
    const out: string[] = [];
    for (const f of this.fields) if (f.key === k) out.push(f.value);
    return out;
  }

  has(name: string): boolean { return this.get(name) !== undefined; }

  count(name: string): number {
    const k = headerKey(name);
    let n = 0;
    for (const f of this.fields) if (f.key === k) n++;
    return n;
  }

  /** Appends a field after the existing ones. */
  add(name: string, value: string): this {
    const key = headerKey(name);
    this.fields.push({ key, name: CANONICAL[key] ?? (name.length === 1 ? key : name), value });
    return this;
  }

  /** Appends with a key already computed by headerKey() (the parser's fast path). */
  addKeyed(key: string, name: string, value: string): this {
    this.fields.push({ key, name: CANONICAL[key] ?? (name.length === 1 ? key : name), value });
    return this;
  }

  /** Inserts a field before the first field of that name (e.g. a new top Via), or at the end. */
  prepend(name: string, value: string): this {
    const k = headerKey(name);
    const field = { key: k, name: canonicalName(name), value };
    const i = this.fields.findIndex((f) => f.key === k);
    if (i < 0) this.fields.push(field);
    else this.fields.splice(i, 0, field);
    return this;
  }

  /** Replaces every field of that name by one, kept at the position of the first. */
  set(name: string, value: string): this {
    const k = headerKey(name);
    const i = this.fields.findIndex((f) => f.key === k);
    if (i < 0) return this.add(name, value);
    this.fields[i] = { key: k, name: canonicalName(name), value };
    for (let j = this.fields.length - 1; j > i; j--) if (this.fields[j].key === k) this.fields.splice(j, 1);
    return this;
  }

  /** Removes every field of that name; returns how many. */
  delete(name: string): number {
    const k = headerKey(name);
    const before = this.fields.length;
    for (let j = this.fields.length - 1; j >= 0; j--) if (this.fields[j].key === k) this.fields.splice(j, 1);
    return before - this.fields.length;
  }

  /** Removes the first field of that name (e.g. the top Via) and returns its value. */
  shift(name: string): string | undefined {
    const k = headerKey(name);
    const i = this.fields.findIndex((f) => f.key === k);
    if (i < 0) return undefined;
    return this.fields.splice(i, 1)[0].value;
  }

  clone(): Headers {
    const h = new Headers();
    for (const f of this.fields) h.fields.push({ ...f });
    return h;
  }

  [Symbol.iterator](): IterableIterator<HeaderField> { return this.fields[Symbol.iterator](); }
}

/**
 * Splits a list header value at commas outside quoted strings and <...> (RFC 3261 7.3.1); elements
 * trimmed, empty ones dropped. Never throws: an unterminated quote simply runs to the end.
 */
export function splitList(value: string): string[] {
  if (value.indexOf(",") < 0) { const t = value.trim(); return t ? [t] : []; }
  const out: string[] = [];
  let start = 0, inQuote = false, inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inQuote = false;
    } else if (c === 34) inQuote = true;
    else if (c === 60 /* < */) inAngle = true;
    else if (c === 62 /* > */) inAngle = false;
    else if (c === 44 /* , */ && !inAngle) {
      const t = value.slice(start, i).trim();
      if (t) out.push(t);
      start = i + 1;
    }
  }
  const t = value.slice(start).trim();
  if (t) out.push(t);
  return out;
}
