// The message layer (RFC 3261 7, 19, 20, 25): model, parser, serialiser, builders. Knows nothing
// of sockets, transactions or GB/T 28181.
export * from "./types.ts";
export * from "./headers.ts";
export * from "./params.ts";
export * from "./uri.ts";
export * from "./via.ts";
export * from "./fields.ts";
export * from "./parse.ts";
export * from "./serialize.ts";
export * from "./build.ts";
export * from "./validate.ts";
