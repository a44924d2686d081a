// The transaction layer: matches incoming requests to server transactions (RFC 3261 17.2.3) and
// responses to client transactions (17.1.3), creates transactions, and forgets them when they end.
// Keys are strings so one Map lookup matches a message.
import { callIdOf, cseqOf, fromOf, tagOf } from "../message/fields.ts";
import type { SipRequest, SipResponse } from "../message/types.ts";
import { MAGIC_COOKIE, viaBranch, viaSentBy, type Via } from "../message/via.ts";
import type { Destination, Source } from "../transport/types.ts";
import { ClientTx } from "./client.ts";
import type { TxEnv } from "./common.ts";
import type { TimerHandle } from "./timer-queue.ts";
import { CompletedTx, ServerTx } from "./server.ts";
import { ByteArena } from "./arena.ts";

/** Server transaction key (17.2.3): branch + sent-by + method, ACK and CANCEL mapped as the RFC says. */
export function serverKey(req: SipRequest, via: Via, method = req.method): string {
  const m = method === "ACK" ? "INVITE" : method;
  const branch = viaBranch(via);
  if (branch && branch.startsWith(MAGIC_COOKIE)) return `${branch}|${viaSentBy(via)}|${m}`;
  // RFC 2543 peers: Request-URI, From tag, Call-ID, CSeq number, top Via (17.2.3 last paragraph).
  const cseq = cseqOf(req);
  return `2543|${req.uri}|${tagOf(fromOf(req)) ?? ""}|${callIdOf(req) ?? ""}|${cseq?.seq ?? ""}|${viaSentBy(via)}|${branch ?? ""}|${m}`;
}

/** Client transaction key (17.1.3): branch + CSeq method. */
export function clientKey(branch: string, cseqMethod: string): string {
  return `${branch}|${cseqMethod === "ACK" ? "INVITE" : cseqMethod}`;
}

/** Matches the ACK for a 2xx (a new transaction) to the INVITE it acknowledges: Call-ID, CSeq, From tag. */
export function dialogAckKey(req: SipRequest): string | null {
  const cid = callIdOf(req), cseq = cseqOf(req), ft = tagOf(fromOf(req));
  return cid && cseq ? `${cid}|${cseq.seq}|${ft ?? ""}` : null;
}

export class TransactionLayer {
  readonly servers = new Map<string, ServerTx | CompletedTx>();
  readonly clients = new Map<string, ClientTx>();
  /** Accepted INVITE server transactions by dialogAckKey, so the 2xx ACK stops retransmission. */
  private readonly accepted = new Map<string, ServerTx>();
  serverCreated = 0;
  clientCreated = 0;
  /** Completed non-INVITE transactions in completion order (FIFO for the memory bound). */
  private lingering: CompletedTx[] = [];
  private lingerHead = 0;
  /** Most completed non-INVITE transactions kept for Timer J (about 1 KB each). */
  maxLingering = 100_000;
  lingerEvicted = 0;
  /** The response bytes of lingering transactions, in large shared chunks (arena.ts: GC cost). */
  private readonly arena = new ByteArena();

  constructor(private readonly env: TxEnv) {
    env.linger = (key, bytes, source, ms, end) => {
      if (!this.servers.has(key)) return;
      const now = env.timers.now();
      if (ms <= 0) { // reliable transport: Timer J is zero, nothing to keep
        this.servers.delete(key);
        if (end) end();
        return;
      }
      const c = new CompletedTx(key, source, env, now + ms, end);
      this.arena.put(bytes, c);
      this.servers.set(key, c);
      this.lingering.push(c);
      // Bounded memory under overload: beyond maxLingering, the oldest completed transactions end early
      // (a retransmission of one of those is then handled as a new request).
      while (this.lingering.length - this.lingerHead > this.maxLingering) {
        const old = this.lingering[this.lingerHead++];
        if (!old.ended) { old.terminate(); this.lingerEvicted++; }
      }
      if (!this.lingerTimer) this.lingerTimer = env.timers.schedule(ms, this.sweep);
    };
    const terminated = env.terminated;
    env.terminated = (tx) => {
      if (tx.kind === "server") {
        const s = this.servers.get(tx.key);
        this.servers.delete(tx.key);
        if (s instanceof ServerTx && s.isInvite) { const k = dialogAckKey(s.request); if (k && this.accepted.get(k) === s) this.accepted.delete(k); }
      } else this.clients.delete(tx.key);
      terminated(tx);
    };
  }

  /** The live transaction for a key: a ServerTx, or the lingering remains of a completed non-INVITE one. */
  private lingerTimer: TimerHandle | null = null;

  /** Timer J for every lingering transaction: ends those due at the head of the queue, re-arms for the next. */
  private readonly sweep = (): void => {
    this.lingerTimer = null;
    const now = this.env.timers.now();
    while (this.lingerHead < this.lingering.length && this.lingering[this.lingerHead].expiresAt <= now) {
      this.lingering[this.lingerHead++].terminate();
    }
    if (this.lingerHead > 4096 && this.lingerHead * 2 > this.lingering.length) {
      this.lingering = this.lingering.slice(this.lingerHead);
      this.lingerHead = 0;
    }
    if (this.lingerHead < this.lingering.length) this.lingerTimer = this.env.timers.schedule(this.lingering[this.lingerHead].expiresAt - now, this.sweep);
  };

  findServer(key: string): ServerTx | CompletedTx | undefined { return this.servers.get(key); }

  createServer(key: string, req: SipRequest, source: Source): ServerTx {
    const tx = new ServerTx(key, req, source, this.env);
    this.servers.set(key, tx);
    this.serverCreated++;
    if (tx.isInvite) {
      const k = dialogAckKey(req);
      if (k) this.accepted.set(k, tx);
    }
    return tx;
  }

  /** The INVITE server transaction a 2xx ACK belongs to, if it is still alive. */
  findForAck(ack: SipRequest): ServerTx | undefined {
    const k = dialogAckKey(ack);
    return k ? this.accepted.get(k) : undefined;
  }

  createClient(branch: string, req: SipRequest, dest: Destination): ClientTx {
    const key = clientKey(branch, req.method);
    const tx = new ClientTx(key, req, dest, this.env);
    this.clients.set(key, tx);
    this.clientCreated++;
    tx.start();
    return tx;
  }

  /** Routes a response to its client transaction; false when none matches (a stray). */
  receiveResponse(res: SipResponse, via: Via): boolean {
    const branch = viaBranch(via);
    const cseq = cseqOf(res);
    if (!branch || !cseq) return false;
    const tx = this.clients.get(clientKey(branch, cseq.method));
    if (!tx) return false;
    tx.receive(res);
    return true;
  }

  /** Ends everything (engine stop). */
  clear(): void {
    for (const t of [...this.servers.values()]) t.terminate();
    for (const t of [...this.clients.values()]) t.terminate();
    this.accepted.clear();
    this.lingering = [];
    this.lingerHead = 0;
    this.env.timers.cancel(this.lingerTimer);
    this.lingerTimer = null;
  }
}
