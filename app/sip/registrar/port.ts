// What the registrar and the GB/T 28181 platform need from the SIP engine, and nothing more: an
// incoming request (already parsed, retransmissions already absorbed by the server transaction),
// the answer to send, and a way to send a request through a client transaction. users.ts adapts the
// engine to this, so these users never touch a socket (DESIGN.md "Layers like RFC 3261").

export interface Source { host: string; port: number; transport: string }

export interface InRequest {
  method: string;
  /** Request-URI as text. */
  uri: string;
  /** First value of a header (any spelling or compact form), raw. */
  header(name: string): string | undefined;
  /** Every value of a header; list headers split into elements. */
  headers(name: string): string[];
  body: Uint8Array;
  source: Source;
}

export interface Answer {
  status: number;
  reason?: string;
  headers?: [string, string][];
  body?: Uint8Array | string;
  contentType?: string;
}

export interface OutRequest {
  method: "MESSAGE";
  /** Request-URI, e.g. sip:34020000001320000001@192.0.2.7:5060 */
  uri: string;
  /** Where to send it (the device's observed address, for NAT). */
  dest: Source;
  from: string;
  to: string;
  contentType: string;
  body: Uint8Array | string;
}

/** Final response status of a client transaction; 408 when it timed out (Timer F). */
export type Sender = (req: OutRequest) => Promise<{ status: number; reason?: string }>;
