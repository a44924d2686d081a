// The transaction layer (RFC 3261 17): state machines, their timers, and matching.
export * from "./common.ts";
export * from "./timer-queue.ts";
export * from "./server.ts";
export * from "./client.ts";
export * from "./layer.ts";
