// The SIP engine: what the users of SIP (registrar, GB/T 28181 platform, proxy, echo) see. It owns the
// transport (UDP + TCP), parses, validates, matches transactions, and calls user handlers. Users never
// touch sockets, Via headers or retransmissions.
//
// ── API ──────────────────────────────────────────────────────────────────────────────────────────────
//   const engine = new SipEngine({ config: gw.config.current.sip, clock, log, bus });
//   await engine.start();                         // or gw.lifecycle.add(engine)
//
// Incoming requests — one handler per method, or "*" for the rest:
//   engine.onRequest("REGISTER", (req, tx, source) => {
//     tx.respond(200, undefined, { headers: { Expires: "3600", Contact: req.headers.get("contact")! } });
//   });
//   - `tx.respond(status, reason?, { headers?, body?, contentType? })` builds the response from the
//     request (Via/From/To/Call-ID/CSeq copied, a To tag that is the same on every response of the
//     transaction), sends it to the observed source (RFC 3581) and returns it. `tx.response(...)` builds
//     the same without sending (to edit it), `tx.send(res)` sends it. Retransmitted requests never reach a handler again: the
//     transaction answers them with the last response. A handler that throws, or whose promise
//     rejects, before answering produces 500.
//   - Order: the method's handler; else the built-in OPTIONS (200 with Allow); else "*"; else 405/501.
//   - Stateless answers (RFC 3261 8.2.7, 17.2): `engine.onStateless("REGISTER", (req, source) => answer | null)`
//     runs before a server transaction is created, for non-INVITE methods only. An answer (a final
//     response: status ≥ 200, reason?, headers?) is sent at once and nothing is kept: a retransmission of
//     the request is then handled as new. null goes on to the normal handler. For answers that need no
//     state and are cheap to give again, e.g. the first digest challenge of a REGISTER.
//   - ACK for a 2xx has no transaction: `engine.onAck((ack, source) => ...)`. CANCEL is handled here
//     (200 to the CANCEL, 487 to the INVITE, then `tx.onCancel` callbacks).
//   - Malformed requests get 400 (505 for another SIP version, 416 for an unknown URI scheme) and
//     never reach a handler; what cannot be answered (no usable Via) is dropped and counted.
//
// Outgoing requests:
//   const req = engine.createRequest({ method: "MESSAGE", uri, from, to, body, contentType });
//   const tx = engine.sendRequest(req, { transport: "udp", host: "192.0.2.7", port: 5060 });
//   tx.onProvisional((r) => ...);
//   const res = await tx.final;   // never rejects: tx.outcome is "response" | "timeout" (local 408)
//                                 //                | "transport-error" (local 503)
//   - sendRequest adds the top Via (fresh branch, rport) and User-Agent; createRequest adds From tag,
//     Call-ID, CSeq 1, Max-Forwards 70 (makeRequest in message/build.ts). Sending the same request
//     object again (e.g. with Authorization added after a 401, CSeq raised by the caller) replaces our
//     Via with a new branch: it is a new transaction.
//   - engine.cancel(inviteTx) sends CANCEL; engine.sendStateless(ack, dest) sends an ACK for a 2xx.
//   - The `source` a request came from is a valid destination for requests back to that peer (a TCP
//     source reuses its connection).
// ─────────────────────────────────────────────────────────────────────────────────────────────────────
import { networkInterfaces } from "node:os";
import type { EventBus } from "../core/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Service } from "../core/lifecycle.ts";
import type { Logger } from "../core/logger.ts";
import type { SipConfigT } from "./config.ts";
import { makeRequest, makeResponse, newBranch, type RequestOptions } from "./message/build.ts";
import { cseqOf, topVia } from "./message/fields.ts";
import { parse } from "./message/parse.ts";
import { serialize } from "./message/serialize.ts";
import type { SipRequest, SipResponse } from "./message/types.ts";
import { answerable, checkRequest, checkResponse } from "./message/validate.ts";
import { formatVia, type Via } from "./message/via.ts";
import type { ClientTransaction } from "./transaction/client.ts";
import { TransactionLayer, serverKey } from "./transaction/layer.ts";
import type { ServerTransaction, ServerTx } from "./transaction/server.ts";
import { TimerQueue } from "./transaction/timer-queue.ts";
import { SipTransport, splitHostPort } from "./transport/index.ts";
import type { Destination, Source, TransportName } from "./transport/types.ts";

export type RequestHandler = (req: SipRequest, tx: ServerTransaction, source: Source) => void | Promise<void>;
export type AckHandler = (ack: SipRequest, source: Source) => void;
export type StrayResponseHandler = (res: SipResponse, source: Source) => void;
/** A final response to send without a server transaction (see onStateless). */
export interface StatelessAnswer { status: number; reason?: string; headers?: Iterable<[string, string]> }
export type StatelessHandler = (req: SipRequest, source: Source) => StatelessAnswer | null;

export interface SipEngineDeps {
  config: SipConfigT;
  clock: Clock;
  log: Logger;
  bus?: EventBus;
}

/** Counters for metrics and the status page. */
export interface SipStats {
  received: number; sent: number; parseErrors: number; rejected: number; dropped: number;
  rateLimited: number; retransmissionsSent: number; retransmissionsAbsorbed: number; strayResponses: number;
  serverTransactions: number; clientTransactions: number; tcpConnections: number; timers: number;
  /** Completed transactions ended before Timer J to bound memory under overload. */
  lingerEvicted: number;
  /** Final responses sent without a server transaction (onStateless). */
  statelessResponses: number;
}

const KNOWN_METHODS = new Set(["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "INFO", "PRACK", "SUBSCRIBE", "NOTIFY", "UPDATE", "MESSAGE", "REFER", "PUBLISH"]);

export class SipEngine implements Service {
  readonly name = "sip";
  readonly transport: SipTransport;
  private readonly timers: TimerQueue;
  private readonly layer: TransactionLayer;
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly statelessHandlers = new Map<string, StatelessHandler>();
  private ackHandler: AckHandler | null = null;
  private strayHandler: StrayResponseHandler | null = null;
  private readonly log: Logger;
  private readonly c = { parseErrors: 0, rejected: 0, dropped: 0, retransmissionsSent: 0, retransmissionsAbsorbed: 0, strayResponses: 0, statelessResponses: 0 };

  constructor(private readonly deps: SipEngineDeps) {
    const cfg = deps.config;
    this.log = deps.log;
    this.timers = new TimerQueue(deps.clock, (e) => this.log.error("sip timer callback failed", { error: String(e) }));
    this.transport = new SipTransport({
      udp: cfg.udp, tcp: cfg.tcp, maxMessageBytes: cfg.maxMessageBytes, tcpIdleTimeoutSec: cfg.tcpIdleTimeout,
      // The rate limit measures real traffic, so it reads the monotonic clock, not the injected Clock
      // (a SimClock that stands still in a test would otherwise never refill a bucket).
      rateLimit: { ...cfg.rateLimit }, log: deps.log.child("transport"), now: () => performance.now(),
    });
    this.transport.onMessage = (data, src) => this.receive(data, src);
    this.layer = new TransactionLayer({
      timers: this.timers,
      timerConfig: { t1: cfg.timers.t1Ms, t2: cfg.timers.t2Ms, t4: cfg.timers.t4Ms },
      log: deps.log.child("tx"),
      send: (dest, data, onError) => this.transport.send(dest, data, onError),
      terminated: () => {},
      linger: () => {}, // replaced by the layer
      retransmitted: () => { this.c.retransmissionsSent++; },
      userAgent: cfg.userAgent,
    });
  }

  /**
   * Binds UDP and TCP. A port that cannot be bound (in use, no permission) does not stop the gateway:
   * the error is logged, the `sip` health check fails, and binding is retried every 10 s, so the rest of
   * the gateway (bridge, uplink) keeps working on a box where something else holds 5060.
   */
  async start(): Promise<void> {
    this.stopped = false;
    await this.bind();
  }

  /** The last bind errors ("" when listening on both). */
  bindError = "";
  private stopped = false;
  private retryId: number | null = null;

  private async bind(): Promise<void> {
    const errors = await this.transport.start();
    if (this.stopped) { this.transport.stop(); return; }
    this.bindError = errors.join("; ");
    if (errors.length) {
      this.log.error("sip cannot listen; retrying in 10 s", { errors });
      this.retryId = this.deps.clock.setTimeout(() => { this.retryId = null; void this.bind(); }, 10_000);
      return;
    }
    this.log.info("sip listening", { udp: `${splitHostPort(this.deps.config.udp).host}:${this.transport.udp.port}`, tcp: `${splitHostPort(this.deps.config.tcp).host}:${this.transport.tcp.port}` });
  }

  stop(): void {
    this.stopped = true;
    if (this.retryId !== null) this.deps.clock.clearTimeout(this.retryId);
    this.layer.clear();
    this.timers.stop();
    this.transport.stop();
  }

  get listening(): { udp: boolean; tcp: boolean } { return this.transport.listening; }

  /** Applies what can change while running (the per-source rate limit); the rest needs a restart. */
  applyConfig(cfg: SipConfigT): void {
    this.transport.limiter.opts = { ...cfg.rateLimit };
    this.log.info("sip rate limit changed", { ...cfg.rateLimit });
  }

  /** Registers the handler for a method ("*" = every method without its own). Returns an unregister function. */
  onRequest(method: string, handler: RequestHandler): () => void {
    const m = method === "*" ? "*" : method.toUpperCase();
    if (this.handlers.has(m)) this.log.warn("request handler replaced", { method: m });
    this.handlers.set(m, handler);
    return () => { if (this.handlers.get(m) === handler) this.handlers.delete(m); };
  }

  /**
   * A stateless first look at requests of one method (RFC 3261 8.2.7): called before a server transaction
   * exists; an answer is sent as is, null hands the request on to onRequest's handler. Not for INVITE,
   * ACK or CANCEL (their transactions carry state the peer relies on). Returns an unregister function.
   */
  onStateless(method: string, handler: StatelessHandler): () => void {
    const m = method.toUpperCase();
    if (m === "INVITE" || m === "ACK" || m === "CANCEL") throw new Error(`no stateless handling for ${m}`);
    this.statelessHandlers.set(m, handler);
    return () => { if (this.statelessHandlers.get(m) === handler) this.statelessHandlers.delete(m); };
  }

  /** ACKs for 2xx responses (they form no transaction of their own, RFC 3261 17.1.1.3). */
  onAck(handler: AckHandler): void { this.ackHandler = handler; }

  /** Responses that match no client transaction (e.g. a 2xx retransmitted after Timer M). */
  onStrayResponse(handler: StrayResponseHandler): void { this.strayHandler = handler; }

  /** Where peers reach us: the advertised host and the bound port of a transport. */
  localAddress(transport: TransportName = "udp"): { host: string; port: number } {
    const cfg = this.deps.config;
    const listen = splitHostPort(transport === "udp" ? cfg.udp : cfg.tcp).host;
    const host = cfg.advertisedHost || (listen !== "0.0.0.0" && listen !== "::" ? listen : firstIPv4() ?? "127.0.0.1");
    return { host, port: transport === "udp" ? this.transport.udp.port : this.transport.tcp.port };
  }

  /** A Contact URI on this engine, e.g. `<sip:34020000002000000001@192.0.2.1:5060>`. */
  contact(user?: string, transport: TransportName = "udp"): string {
    const a = this.localAddress(transport);
    return `<sip:${user ? user + "@" : ""}${hostForUri(a.host)}:${a.port}${transport === "tcp" ? ";transport=tcp" : ""}>`;
  }

  /** An out-of-dialog request (new Call-ID, From tag, CSeq 1 unless given). */
  createRequest(o: RequestOptions): SipRequest { return makeRequest(o); }

  /**
   * Sends a request in a new client transaction. The engine prepends the top Via (fresh branch unless
   * `opts.branch`), adds User-Agent and Max-Forwards if absent.
   */
  sendRequest(req: SipRequest, dest: Destination | Source, opts: { branch?: string } = {}): ClientTransaction {
    const d = toDestination(dest);
    const branch = opts.branch ?? newBranch();
    this.stamp(req, d.transport, branch);
    return this.layer.createClient(branch, req, d);
  }

  /** Sends a request outside any transaction (the ACK for a 2xx, RFC 3261 13.2.2.4). */
  sendStateless(req: SipRequest, dest: Destination | Source): void {
    const d = toDestination(dest);
    this.stamp(req, d.transport, newBranch());
    this.transport.send(d, serialize(req), (e) => this.log.debug("stateless send failed", { error: e.message }));
  }

  /** CANCEL for an INVITE client transaction still without a final response (RFC 3261 9.1). */
  cancel(inviteTx: ClientTransaction): ClientTransaction | null {
    const inv = inviteTx.request;
    if (inv.method !== "INVITE" || (inviteTx.state !== "calling" && inviteTx.state !== "proceeding")) return null;
    const via = topVia(inv);
    const branch = via?.params.get("branch");
    if (!via || !branch) return null;
    const req = makeRequest({
      method: "CANCEL", uri: inv.uri, from: inv.headers.get("from") ?? "", to: inv.headers.get("to") ?? "",
      callId: inv.headers.get("call-id") ?? undefined, cseq: cseqOf(inv)?.seq ?? 1,
    });
    for (const r of inv.headers.getAll("route")) req.headers.add("Route", r);
    req.headers.prepend("Via", inv.headers.get("via")!);
    if (this.deps.config.userAgent) req.headers.set("User-Agent", this.deps.config.userAgent);
    return this.layer.createClient(branch, req, inviteTx.destination);
  }

  stats(): SipStats {
    return {
      received: this.transport.received, sent: this.transport.sent, parseErrors: this.c.parseErrors,
      rejected: this.c.rejected, dropped: this.c.dropped, rateLimited: this.transport.limiter.dropped,
      retransmissionsSent: this.c.retransmissionsSent, retransmissionsAbsorbed: this.c.retransmissionsAbsorbed,
      strayResponses: this.c.strayResponses, serverTransactions: this.layer.servers.size,
      clientTransactions: this.layer.clients.size, tcpConnections: this.transport.tcp.connections, timers: this.timers.size,
      lingerEvicted: this.layer.lingerEvicted, statelessResponses: this.c.statelessResponses,
    };
  }

  /** Requests whose top Via we added, so sending the same object again replaces it instead of stacking. */
  private readonly stamped = new WeakSet<SipRequest>();

  private stamp(req: SipRequest, transport: TransportName, branch: string): void {
    const a = this.localAddress(transport);
    if (this.stamped.has(req)) req.headers.shift("via");
    this.stamped.add(req);
    req.headers.prepend("Via", `SIP/2.0/${transport.toUpperCase()} ${hostForUri(a.host)}:${a.port};rport;branch=${branch}`);
    if (!req.headers.has("max-forwards")) req.headers.add("Max-Forwards", "70");
    if (this.deps.config.userAgent && !req.headers.has("user-agent")) req.headers.add("User-Agent", this.deps.config.userAgent);
  }

  // ── receive path ──

  private receive(data: Uint8Array, src: Source): void {
    if (data.length > this.deps.config.maxMessageBytes) { this.c.dropped++; return; } // (TCP: the framer enforces it)
    const r = parse(data);
    if (!r.ok) {
      this.c.parseErrors++;
      this.log.debug("unparseable message", { from: `${src.address}:${src.port}`, error: r.error });
      if (r.message?.kind === "request" && r.message.method !== "ACK" && answerable(r.message)) this.request(r.message, src, r.error);
      else this.c.dropped++;
      return;
    }
    if (r.message.kind === "request") this.request(r.message, src, null);
    else this.response(r.message, src);
  }

  private request(req: SipRequest, src: Source, parseError: string | null): void {
    const via = topVia(req);
    if (!via) { this.c.dropped++; return; }
    markReceived(req, via, src);
    const key = serverKey(req, via);

    if (req.method === "ACK") {
      const tx = this.layer.findServer(key);
      if (tx) { tx.ack(req); return; } // ACK for a non-2xx: absorbed by its transaction
      this.layer.findForAck(req)?.ack(req);
      if (!parseError && !checkRequest(req) && this.ackHandler) {
        try { this.ackHandler(req, src); } catch (e) { this.log.error("ack handler failed", { error: String(e) }); }
      }
      return;
    }

    const existing = this.layer.findServer(key);
    if (existing) { this.c.retransmissionsAbsorbed++; existing.retransmission(); return; }

    const rejection = parseError ? { status: 400, reason: "Bad Request", answerable: true } : checkRequest(req, via);
    if (rejection) {
      this.c.rejected++;
      if (!rejection.answerable) { this.c.dropped++; return; }
      this.log.debug("request rejected", { from: `${src.address}:${src.port}`, status: rejection.status, reason: rejection.reason, error: parseError ?? undefined });
      this.layer.createServer(key, req, src).respond(rejection.status, rejection.reason);
      return;
    }

    const sl = this.statelessHandlers.get(req.method);
    if (sl && this.stateless(sl, req, key, src)) return;

    const tx = this.layer.createServer(key, req, src);
    if (req.method === "CANCEL") { this.cancelReceived(req, via, tx); return; }
    const handler = this.handlers.get(req.method) ?? (req.method === "OPTIONS" ? this.options : this.handlers.get("*")) ?? this.notAllowed;
    try {
      const p = handler(req, tx, src);
      if (p && typeof (p as Promise<void>).then === "function") (p as Promise<void>).catch((e) => this.handlerFailed(tx, e));
    } catch (e) { this.handlerFailed(tx, e); }
  }

  /**
   * Sends the stateless handler's answer, if any (true). RFC 3261 8.2.7: the To tag is derived from the
   * request (its transaction key), so a retransmitted request gets the same tag. A handler that throws
   * or answers provisionally hands the request on to the stateful path.
   */
  private stateless(fn: StatelessHandler, req: SipRequest, key: string, src: Source): boolean {
    let a: StatelessAnswer | null;
    try { a = fn(req, src); } catch (e) { this.log.error("sip stateless handler failed", { method: req.method, error: String(e) }); return false; }
    if (!a || a.status < 200 || a.status > 699) return false;
    const res = makeResponse(req, a.status, a.reason, { headers: a.headers, toTag: Bun.hash(key).toString(36) });
    if (this.deps.config.userAgent) res.headers.add("Server", this.deps.config.userAgent);
    this.c.statelessResponses++;
    this.transport.send(src, serialize(res), (e) => this.log.debug("stateless response send failed", { error: e.message }));
    return true;
  }

  private handlerFailed(tx: ServerTransaction, e: unknown): void {
    this.log.error("sip request handler failed", { method: tx.request.method, error: e instanceof Error ? e.stack ?? e.message : String(e) });
    if (!tx.finalResponse && tx.state !== "terminated") tx.respond(500);
  }

  /** RFC 3261 9.2: 200 to the CANCEL and 487 to a pending INVITE; 481 when nothing matches. */
  private cancelReceived(req: SipRequest, via: Via, tx: ServerTx): void {
    const invite = this.layer.findServer(serverKey(req, via, "INVITE"));
    if (!invite) { tx.respond(481); return; }
    tx.respond(200);
    invite.cancelled();
  }

  private readonly options: RequestHandler = (_req, tx) => {
    tx.respond(200, undefined, { headers: { Allow: this.allowed(), Accept: "application/sdp, application/MANSCDP+xml" } });
  };

  private readonly notAllowed: RequestHandler = (req, tx) => {
    if (KNOWN_METHODS.has(req.method)) tx.respond(405, undefined, { headers: { Allow: this.allowed() } });
    else tx.respond(501);
  };

  private allowed(): string {
    const s = new Set(["OPTIONS", "ACK", "CANCEL"]);
    for (const m of this.handlers.keys()) if (m !== "*") s.add(m);
    return [...s].join(", ");
  }

  private response(res: SipResponse, src: Source): void {
    const bad = checkResponse(res);
    if (bad) { this.c.dropped++; this.log.debug("response dropped", { from: `${src.address}:${src.port}`, reason: bad }); return; }
    if (this.layer.receiveResponse(res, topVia(res)!)) return;
    this.c.strayResponses++;
    if (this.strayHandler) { try { this.strayHandler(res, src); } catch (e) { this.log.error("stray response handler failed", { error: String(e) }); } }
  }
}

/**
 * RFC 3261 18.2.1 and RFC 3581 4: note where the request really came from in the top Via, so responses
 * (and the users, e.g. a registrar behind NAT) see the observed address.
 */
function markReceived(req: SipRequest, via: Via, src: Source): void {
  let changed = false;
  if (via.host !== src.address && via.host !== `[${src.address}]`) { via.params.set("received", src.address); changed = true; }
  if (via.params.has("rport") && via.params.get("rport") === null) {
    via.params.set("rport", String(src.port));
    if (!via.params.has("received")) via.params.set("received", src.address);
    changed = true;
  }
  if (!changed) return;
  const f = req.headers.fields.find((x) => x.key === "via");
  if (f) f.value = formatVia(via);
}

function toDestination(d: Destination | Source): Destination {
  return "host" in d ? d : { transport: d.transport, host: d.address, port: d.port, connId: d.connId };
}

function hostForUri(h: string): string { return h.includes(":") && !h.startsWith("[") ? `[${h}]` : h; }

function firstIPv4(): string | null {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return null;
}

export type { ClientTransaction, ServerTransaction, Source, Destination, SipRequest, SipResponse, TransportName };
