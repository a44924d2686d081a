// Rules of module config slices that involve several keys (a JSON Schema cannot state them), run
// by validateConfig so `check-config`, `PUT /api/config` and `run` all report them as `path: reason`.
import type { Config } from "./schema.ts";
import type { ConfigError } from "./validate.ts";
import { buildModel } from "../bridge/model.ts";

export const moduleChecks: ((c: Config) => ConfigError[])[] = [
  (c) => buildModel(c.bridge).errors,
];
