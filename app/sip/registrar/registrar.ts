// The REGISTER handler (RFC 3261 section 10.3) for GB/T 28181 devices (GB/T 28181-2016 9.1.2):
// digest challenge → credentials → binding stored in SQLite and handed to liveness.
//   - per-device password: only that device ID may use it as digest username;
//   - global password: any digest username, as Kamailio's pv_www_authenticate($td, $pwd);
//   - no password configured for the device at all: registration is open (as WVP with an empty password);
//   - wrong password → 403 and a failure counted towards a ban of the device ID and the source IP;
//   - Expires clamped to [minExpires, maxExpires], 423 + Min-Expires below the minimum, 0 unregisters.
import type { Static } from "@sinclair/typebox";
import type { Clock } from "../../core/clock.ts";
import type { Logger } from "../../core/logger.ts";
import type { Gb28181Config } from "../gb28181/config.ts";
import type { Liveness } from "../gb28181/liveness.ts";
import type { DeviceStore } from "../gb28181/store.ts";
import { contactExpires, contactUri, gbDate, uriUser } from "./aor.ts";
import type { Ban, Bans } from "./bans.ts";
import { DigestAuth, parseAuthorization } from "./digest.ts";
import type { Answer, InRequest, Source } from "./port.ts";

export type GbSettings = Static<typeof Gb28181Config>;

export interface RegistrarEvents {
  /** A device registered (first: not registered just before), after its binding is stored. */
  registered(id: string, first: boolean, source: Source, expires: number): void;
  unregistered(id: string): void;
  banned(b: Ban): void;
  warning(id: string, warning: string, detail: Record<string, unknown>): void;
}

export interface RegistrarDeps {
  settings: () => GbSettings;
  clock: Clock;
  liveness: Liveness;
  store: DeviceStore;
  bans: Bans;
  log: Logger;
  events: RegistrarEvents;
}

export class Registrar {
  readonly digest: DigestAuth;
  private perDevice = new Map<string, string>();
  private perDeviceFrom: unknown = null;
  /** Expires value last warned about per device, so a refresh does not repeat the warning. */
  private readonly warnedExpiry = new Map<string, number>();
  readonly counters = { registers: 0, challenges: 0, accepted: 0, unregisters: 0, authFailures: 0, rejectedBanned: 0, tooBrief: 0 };

  constructor(private readonly d: RegistrarDeps) {
    this.digest = new DigestAuth({ realm: () => d.settings().domain, nonceTtlMs: () => d.settings().nonceTtl * 1000, now: () => d.clock.now() });
  }

  /** The password that authenticates device `id`, and whether it is the device's own. */
  passwordOf(id: string): { password: string; own: boolean } {
    const s = this.d.settings();
    if (this.perDeviceFrom !== s.devices) {
      this.perDevice = new Map(s.devices.filter((x) => x.password).map((x) => [x.id, x.password]));
      this.perDeviceFrom = s.devices;
    }
    const own = this.perDevice.get(id);
    return own !== undefined ? { password: own, own: true } : { password: s.password, own: false };
  }

  handle(req: InRequest): Answer {
    this.counters.registers++;
    const s = this.d.settings();
    const id = uriUser(req.header("To"));
    if (!id) return { status: 400, reason: "Bad Request (To has no user part)" };
    const ban = this.d.bans.banned(id, req.source.host);
    if (ban) { this.counters.rejectedBanned++; return { status: 403, reason: "Forbidden (banned)" }; }

    const { password, own } = this.passwordOf(id);
    if (password !== "") {
      const auth = req.header("Authorization");
      if (!auth) { this.counters.challenges++; return this.challenge(false); }
      const cred = parseAuthorization(auth);
      if (!cred) return { status: 400, reason: "Bad Request (Authorization)" };
      if (cred.realm !== s.domain) { this.counters.challenges++; return this.challenge(false); }
      const v = this.digest.verify(cred, "REGISTER", (user) => (own && user !== id ? null : password));
      if (!v.ok) {
        if (v.why === "stale") { this.counters.challenges++; return this.challenge(true); }
        if (v.why === "nonce") { this.counters.challenges++; return this.challenge(false); }
        if (v.why === "malformed") return { status: 400, reason: "Bad Request (digest parameters)" };
        this.counters.authFailures++;
        const why = v.why === "username" ? "digest username is not the device ID" : "wrong password";
        this.d.log.warn("registration refused", { device: id, source: `${req.source.host}:${req.source.port}`, why });
        for (const b of this.d.bans.fail(id, req.source.host, why)) this.d.events.banned(b);
        return { status: 403, reason: "Forbidden" };
      }
      this.d.bans.succeeded(id);
    }
    return this.bind(req, id, s);
  }

  /**
   * The answer that needs no state, or null (RFC 3261 8.2.7): a REGISTER without credentials, from a
   * device that must authenticate and is not banned, gets the first 401 challenge. The nonce is signed
   * (digest.ts), so nothing is kept: the engine sends this without a server transaction, and a
   * retransmitted REGISTER simply gets a fresh challenge. Everything else goes through handle().
   */
  statelessAnswer(req: InRequest): Answer | null {
    if (req.header("Authorization") !== undefined) return null;
    const id = uriUser(req.header("To"));
    if (!id || this.passwordOf(id).password === "" || this.d.bans.banned(id, req.source.host)) return null;
    this.counters.registers++;
    this.counters.challenges++;
    return this.challenge(false);
  }

  private challenge(stale: boolean): Answer {
    return { status: 401, reason: "Unauthorized", headers: [["WWW-Authenticate", this.digest.challenge(stale)]] };
  }

  private bind(req: InRequest, id: string, s: GbSettings): Answer {
    const contacts = req.headers("Contact");
    const expHeader = req.header("Expires");
    const now = this.d.clock.now();
    if (contacts.length === 0) {
      // A query of the bindings (RFC 3261 10.2.3): answer with what we hold.
      const row = this.d.store.binding(id);
      const left = row && row.expiresAt > now ? Math.ceil((row.expiresAt - now) / 1000) : 0;
      return { status: 200, reason: "OK", headers: left ? [["Contact", `<${row!.contact}>;expires=${left}`], ["Date", gbDate(now)]] : [["Date", gbDate(now)]] };
    }
    const star = contacts.some((c) => c.trim() === "*");
    const raw = star ? expHeader : (contactExpires(contacts[0]) ?? expHeader);
    let expires = raw === undefined ? s.defaultExpires : Number(raw.trim());
    if (!Number.isInteger(expires) || expires < 0) return { status: 400, reason: "Bad Request (Expires)" };
    if (star && expires !== 0) return { status: 400, reason: "Bad Request (Contact * needs Expires: 0)" };

    if (expires === 0) {
      this.counters.unregisters++;
      this.d.store.unbind(id);
      this.d.liveness.unregistered(id);
      this.warnedExpiry.delete(id);
      this.d.events.unregistered(id);
      return { status: 200, reason: "OK", headers: [["Date", gbDate(now)]] };
    }
    if (expires < s.minExpires) { this.counters.tooBrief++; return { status: 423, reason: "Interval Too Brief", headers: [["Min-Expires", String(s.minExpires)]] }; }
    if (expires > s.maxExpires) expires = s.maxExpires;

    const contact = contactUri(contacts[0]);
    const first = !this.d.liveness.isRegistered(id);
    const expiresAt = now + expires * 1000;
    this.d.store.bind({
      id, contact, address: `${req.source.host}:${req.source.port}`, transport: req.source.transport.toLowerCase(),
      at: now, expiresAt, userAgent: req.header("User-Agent") ?? "",
    });
    this.d.liveness.registered(id, expiresAt);
    this.counters.accepted++;

    // A registration that ends before the keepalive window can close means the expiry, not the
    // keepalives, decides liveness: usually a misconfigured camera, so say so once.
    const windowSec = s.keepaliveInterval * s.keepaliveTimeoutCount;
    if (expires < windowSec && this.warnedExpiry.get(id) !== expires) {
      this.warnedExpiry.set(id, expires);
      this.d.events.warning(id, "expiry-shorter-than-keepalive-window", { expires, keepaliveWindow: windowSec });
    }
    this.d.events.registered(id, first, req.source, expires);
    return { status: 200, reason: "OK", headers: [["Contact", `<${contact}>;expires=${expires}`], ["Expires", String(expires)], ["Date", gbDate(now)]] };
  }
}
