// Plugs the sip module into the gateway (see app/modules.ts): the engine (transport, transactions) as a
// service with its health check and metrics, then the transaction users (registrar, GB/T 28181, ...)
// from users.ts on top of it.
import type { Gateway } from "../gateway.ts";
import { SipEngine } from "./engine.ts";
import { installSipUsers } from "./users.ts";

export function installSip(gw: Gateway): SipEngine | null {
  const cfg = gw.config.current.sip;
  if (!cfg.enabled) return null;
  const engine = new SipEngine({ config: cfg, clock: gw.clock, log: gw.logs.for("sip"), bus: gw.bus });
  gw.lifecycle.add(engine);

  gw.health.add(() => {
    const l = engine.listening;
    return { name: "sip", ok: l.udp && l.tcp, value: engine.bindError || `udp:${l.udp ? "listening" : "down"} tcp:${l.tcp ? "listening" : "down"}`, threshold: "listening" };
  });
  gw.metrics.add(() => {
    const s = engine.stats();
    return [
      { name: "sip_messages_received_total", help: "SIP messages received (after the rate limit)", type: "counter", value: s.received },
      { name: "sip_messages_sent_total", help: "SIP messages sent, retransmissions included", type: "counter", value: s.sent },
      { name: "sip_parse_errors_total", help: "Messages that did not parse", type: "counter", value: s.parseErrors },
      { name: "sip_requests_rejected_total", help: "Requests answered 400/416/505 by the engine", type: "counter", value: s.rejected },
      { name: "sip_rate_limited_total", help: "Messages dropped by the per-source rate limit", type: "counter", value: s.rateLimited },
      { name: "sip_retransmissions_sent_total", help: "Requests and responses retransmitted by transactions", type: "counter", value: s.retransmissionsSent },
      { name: "sip_retransmissions_absorbed_total", help: "Retransmitted requests answered from their transaction", type: "counter", value: s.retransmissionsAbsorbed },
      { name: "sip_transactions", help: "Live transactions", type: "gauge", value: s.serverTransactions, labels: { kind: "server" } },
      { name: "sip_transactions", help: "Live transactions", type: "gauge", value: s.clientTransactions, labels: { kind: "client" } },
      { name: "sip_tcp_connections", help: "Open SIP TCP connections", type: "gauge", value: s.tcpConnections },
    ];
  });

  gw.bus.on("config.changed", ({ paths }) => {
    if (paths.some((p) => p.startsWith("sip.rateLimit."))) engine.applyConfig(gw.config.current.sip);
  });
  gw.statusSections.set("sip", () => ({ listening: engine.listening, bindError: engine.bindError || undefined, ...engine.stats() }));

  installSipUsers(gw, engine);
  return engine;
}
