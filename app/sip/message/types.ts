// The message model: a request or a response, header fields, and the body as bytes. Plain data:
// the parser builds it, user code may build or edit it, the serialiser writes it.
import type { Headers } from "./headers.ts";

export interface SipRequest {
  readonly kind: "request";
  method: string;
  /** Request-URI as written. */
  uri: string;
  version: string;
  headers: Headers;
  body: Uint8Array;
}

export interface SipResponse {
  readonly kind: "response";
  status: number;
  reason: string;
  version: string;
  headers: Headers;
  body: Uint8Array;
}

export type SipMessage = SipRequest | SipResponse;

export type ParseResult =
  | { ok: true; message: SipMessage }
  /**
   * `message` is set when the start line and header block could be read (so a request can still be
   * answered with 400 to its Via), absent when nothing trustworthy was found.
   */
  | { ok: false; error: string; message?: SipMessage };

export const EMPTY_BODY = new Uint8Array(0);
