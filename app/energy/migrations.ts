// Tables owned by the energy module (see app/store/migrations.ts for the rules).
import type { Migration } from "../store/migrations.ts";

export const energyMigrations: Migration[] = [];
