// Tables owned by the bridge module (see app/store/migrations.ts for the rules).
import type { Migration } from "../store/migrations.ts";

export const bridgeMigrations: Migration[] = [];
