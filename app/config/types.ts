// Small helpers so every module declares its config slice the same way: every object has a default
// (so an empty file runs) and unknown keys are errors (so a typo is reported, not ignored).
import { Type, type TProperties, type TSchema, type ObjectOptions } from "@sinclair/typebox";

/** An object whose every property has a default; unknown keys rejected. */
export function Section<T extends TProperties>(props: T, opts: ObjectOptions = {}) {
  return Type.Object(props, { additionalProperties: false, default: {}, ...opts });
}

/** "host:port" listen or connect address. */
export function HostPort(def: string, description: string) {
  return Type.String({ default: def, pattern: "^[^\\s:]*:[0-9]{1,5}$|^\\[[0-9a-fA-F:]+\\]:[0-9]{1,5}$", description });
}

/** A secret: never returned by any API in clear (see redact.ts). */
export function Secret(description: string) {
  return Type.String({ default: "", description, secret: true });
}

export type { TSchema };
