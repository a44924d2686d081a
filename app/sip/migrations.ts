// Tables owned by the sip module (see app/store/migrations.ts for the rules).
import type { Migration } from "../store/migrations.ts";

export const sipMigrations: Migration[] = [];
