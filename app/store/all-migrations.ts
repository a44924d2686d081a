// Every module's migrations, in the order modules depend on each other.
import { coreMigrations, type Migration } from "./migrations.ts";

import { sipMigrations } from "../sip/migrations.ts";

import { bridgeMigrations } from "../bridge/migrations.ts";

import { energyMigrations } from "../energy/migrations.ts";

export const allMigrations: Migration[] = [
  ...coreMigrations,

  ...sipMigrations,

  ...bridgeMigrations,

  ...energyMigrations,

];
