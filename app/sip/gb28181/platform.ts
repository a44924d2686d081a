// The GB/T 28181-2016 platform role towards local devices (sections 9.3, 9.5, 9.6; appendix A):
// MESSAGE with MANSCDP+xml bodies in (keepalive notify, Catalog and DeviceInfo responses), BYE in,
// and our Catalog/DeviceInfo queries out through client transactions. Everything heard is handed to
// liveness; a 408 or 481 to a query takes the device offline at once (SPEC section 5).
import type { Clock } from "../../core/clock.ts";
import type { Logger } from "../../core/logger.ts";
import { uriUser } from "../registrar/aor.ts";
import type { Answer, InRequest, Sender, Source } from "../registrar/port.ts";
import type { GbSettings } from "../registrar/registrar.ts";
import { CatalogAssembler, type CatalogResult } from "./catalog.ts";
import type { Liveness } from "./liveness.ts";
import { catalogItems, flatten, parseManscdp, queryXml, str } from "./manscdp.ts";
import type { DeviceStore } from "./store.ts";

export const MANSCDP = "Application/MANSCDP+xml";

export interface PlatformEvents {
  warning(id: string, warning: string, detail: Record<string, unknown>): void;
  catalog(r: CatalogResult): void;
  deviceInfo(id: string, info: Record<string, string>): void;
}

export interface PlatformDeps {
  settings: () => GbSettings;
  clock: Clock;
  liveness: Liveness;
  store: DeviceStore;
  send: Sender;
  log: Logger;
  events: PlatformEvents;
}

export class Platform {
  private sn = 1;
  readonly catalogs: CatalogAssembler;
  /** Address each device's messages last came from, to notice a change. */
  private readonly lastAddress = new Map<string, string>();
  readonly counters = { messages: 0, keepalives: 0, badBodies: 0, unknownDevice: 0, queriesSent: 0, queriesFailed: 0, byes: 0 };

  constructor(private readonly d: PlatformDeps) {
    this.catalogs = new CatalogAssembler({
      clock: d.clock,
      timeoutMs: () => d.settings().catalogTimeoutMs,
      onDone: (r) => {
        try { d.store.catalog(r.device, d.clock.now(), r.channels, r.complete); } catch (e) { d.log.error("catalog not stored", { device: r.device, error: String(e) }); }
        d.events.catalog(r);
      },
    });
  }

  /** The address a device registered from (the one our requests go to). */
  noteRegistered(id: string, src: Source): void { this.lastAddress.set(id, `${src.host}:${src.port}`); }
  forget(id: string): void { this.lastAddress.delete(id); }

  /** MESSAGE from a device (GB/T 28181-2016 9.3 keepalive, A.2.6 responses). */
  message(req: InRequest): Answer {
    this.counters.messages++;
    const ct = (req.header("Content-Type") ?? "").toLowerCase();
    if (ct && !ct.includes("manscdp") && !ct.includes("xml")) return { status: 415, reason: "Unsupported Media Type", headers: [["Accept", MANSCDP]] };
    const parsed = parseManscdp(req.body);
    const id = uriUser(req.header("From")) || (parsed.ok ? parsed.msg.deviceId : "");
    if (!this.d.liveness.isRegistered(id)) {
      // Not registered (never, expired or unregistered): 404 makes a camera register again, as WVP does.
      this.counters.unknownDevice++;
      return { status: 404, reason: "Not Found (device not registered)" };
    }
    if (!parsed.ok) {
      this.counters.badBodies++;
      this.d.log.warn("bad MANSCDP body", { device: id, error: parsed.error });
      return { status: 400, reason: `Bad Request (${parsed.error.slice(0, 80).replace(/[\r\n]/g, " ")})` };
    }
    const m = parsed.msg;
    const isKeepalive = m.root === "Notify" && m.cmdType === "Keepalive";
    if (isKeepalive) this.counters.keepalives++;
    this.d.liveness.heard(id, isKeepalive ? "keepalive" : "message");
    this.checkAddress(id, req.source);
    if (m.root === "Response" && m.cmdType === "Catalog") {
      this.catalogs.add(id, m.sn ?? 0, Number.parseInt(str(m.body.SumNum), 10), catalogItems(m.body));
    } else if (m.root === "Response" && m.cmdType === "DeviceInfo") {
      const info = flatten(m.body);
      try { this.d.store.deviceInfo(id, info); } catch (e) { this.d.log.error("device info not stored", { device: id, error: String(e) }); }
      this.d.events.deviceInfo(id, info);
    }
    return { status: 200, reason: "OK" };
  }

  /** BYE from a device: it is going away; offline at once (SPEC section 5). No dialog is kept here. */
  bye(req: InRequest): Answer {
    const id = uriUser(req.header("From"));
    if (!this.d.liveness.get(id)) return { status: 481, reason: "Call/Transaction Does Not Exist" };
    this.counters.byes++;
    this.d.liveness.lost(id, "bye");
    return { status: 200, reason: "OK" };
  }

  /** Sends a query MESSAGE to a registered device; its final response feeds liveness. */
  async query(id: string, cmdType: "Catalog" | "DeviceInfo"): Promise<number> {
    const row = this.d.store.binding(id);
    if (!row || !row.address) return 404;
    const s = this.d.settings();
    const [host, port] = splitAddr(row.address);
    const sn = this.nextSn();
    this.counters.queriesSent++;
    let status = 408;
    try {
      const res = await this.d.send({
        method: "MESSAGE",
        uri: row.contact || `sip:${id}@${row.address}`,
        dest: { host, port, transport: row.transport || "udp" },
        from: `<sip:${s.serverId}@${s.domain}>`,
        to: `<sip:${id}@${s.domain}>`,
        contentType: MANSCDP,
        body: queryXml(cmdType, sn, id),
      });
      status = res.status;
    } catch (e) {
      this.d.log.warn("query not sent", { device: id, cmdType, error: String(e) });
      return 503;
    }
    if (status >= 200 && status < 300) this.d.liveness.heard(id, "answered");
    else if (status === 408 || status === 481) {
      this.counters.queriesFailed++;
      this.d.liveness.lost(id, status === 408 ? "timeout" : "no-transaction");
    } else this.d.log.info("query refused", { device: id, cmdType, status });
    return status;
  }

  stop(): void { this.catalogs.stop(); }

  private nextSn(): number { this.sn = this.sn >= 0x7fffffff ? 1 : this.sn + 1; return this.sn; }

  private checkAddress(id: string, src: Source): void {
    const addr = `${src.host}:${src.port}`;
    const prev = this.lastAddress.get(id);
    if (prev === addr) return;
    this.lastAddress.set(id, addr);
    if (prev === undefined) return;
    // Keepalives from another address: NAT rebinding, a second device with the same ID, or spoofing.
    this.d.events.warning(id, "address-changed", { from: prev, to: addr });
    try { this.d.store.keepaliveAddress(id, addr); } catch { /* informational only */ }
  }
}

export function splitAddr(a: string): [string, number] {
  const i = a.lastIndexOf(":");
  return [a.slice(0, i).replace(/^\[|\]$/g, ""), Number(a.slice(i + 1))];
}
