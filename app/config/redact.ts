// Secrets are never returned by any API in clear. The schema marks them (`secret: true`); this walks
// the schema and the value together, replacing set secrets with a fixed mask. A PUT that sends the
// mask back keeps the stored secret.
import { ConfigSchema } from "./schema.ts";

export const MASK = "********";

function walk(schema: any, value: any, fn: (schema: any, value: any, set: (v: any) => void) => void): void {
  if (!schema || typeof value !== "object" || value === null) return;
  if (schema.type === "object" && schema.properties) {
    for (const [k, s] of Object.entries<any>(schema.properties)) {
      if (!(k in value)) continue;
      fn(s, value[k], (v) => { value[k] = v; });
      walk(s, value[k], fn);
    }
  } else if (schema.type === "array" && schema.items && Array.isArray(value)) {
    value.forEach((item, i) => { fn(schema.items, item, (v) => { value[i] = v; }); walk(schema.items, value[i], fn); });
  }
}

export function redact<T>(config: T): T {
  const copy = structuredClone(config) as any;
  walk(ConfigSchema, copy, (s, v, set) => { if (s.secret && typeof v === "string" && v !== "") set(MASK); });
  return copy;
}

/** Puts back stored secrets where an incoming document carries the mask. */
export function unmask(incoming: any, current: any): any {
  const copy = structuredClone(incoming);
  const paths: string[][] = [];
  const collect = (schema: any, value: any, path: string[]) => {
    if (schema?.secret && value === MASK) paths.push(path);
    if (schema?.type === "object" && schema.properties && value && typeof value === "object")
      for (const [k, s] of Object.entries<any>(schema.properties)) if (k in value) collect(s, value[k], [...path, k]);
    if (schema?.type === "array" && Array.isArray(value)) value.forEach((it, i) => collect(schema.items, it, [...path, String(i)]));
  };
  collect(ConfigSchema, copy, []);
  for (const p of paths) {
    let src = current, dst = copy;
    for (const k of p.slice(0, -1)) { src = src?.[k]; dst = dst[k]; }
    dst[p[p.length - 1]] = src?.[p[p.length - 1]] ?? "";
  }
  return copy;
}
