// Tables owned by the energy module (see app/store/migrations.ts for the rules).
import type { Migration } from "../store/migrations.ts";

export const energyMigrations: Migration[] = [
  {
    module: "energy",
    version: 1,
    name: "hourly energy history",
    sql: `
      CREATE TABLE energy_hourly (
        hour     INTEGER PRIMARY KEY,   -- start of the hour, ms since the epoch (UTC)
        soc      REAL NOT NULL,         -- battery state of charge at the end of the hour, %
        solar_wh REAL NOT NULL,         -- harvest during the hour
        load_wh  REAL,                  -- measured draw, when the board measures it
        mode     TEXT NOT NULL          -- mode id at the end of the hour (full, saver, survival)
      );
    `,
  },
];
