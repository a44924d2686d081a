// What the transport layer tells the layers above about where a message came from and where one goes.
export type TransportName = "udp" | "tcp";

/** The observed source of a received message (RFC 3581: responses go back here). */
export interface Source {
  transport: TransportName;
  address: string;
  port: number;
  /** For TCP: the connection it arrived on, reused for the responses (RFC 3261 18.2.2). */
  connId?: number;
}

/** Where to send. `host` may be a name (resolved once per send) or an IP literal. */
export interface Destination {
  transport: TransportName;
  host: string;
  port: number;
  /** For TCP: prefer this existing connection. */
  connId?: number;
}

export type SendError = (err: Error) => void;
