// Numbered schema migrations, one numbered list per module (so modules add tables without
// coordinating numbers), applied in order and recorded in the `migrations` table.
// The rule that keeps rollbacks safe: migrations only ADD (tables, columns with defaults, indexes);
// they never drop, rename or change the meaning of what an older release reads. So a database
// migrated by a newer release stays readable and writable by the previous one, which ignores what it
// does not know. Never edit a migration that has shipped; add the next number.

export interface Migration { module: string; version: number; name: string; sql: string }

export const coreMigrations: Migration[] = [
  {
    module: "core",
    version: 1,
    name: "outbox and key-value",
    sql: `
      CREATE TABLE outbox (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,  -- rising, never reused: order within a priority
        prio     INTEGER NOT NULL,                   -- 0 critical, 1 normal, 2 bulk
        kind     TEXT NOT NULL,                      -- 'point' | 'event'
        topic    TEXT NOT NULL,                      -- device for points, event type for events
        body     TEXT NOT NULL,                      -- JSON of one point or one event
        bytes    INTEGER NOT NULL,
        msg      INTEGER                             -- message seq once assigned to an MQTT message
      );
      CREATE INDEX outbox_drain ON outbox (prio, id);
      CREATE INDEX outbox_msg ON outbox (msg) WHERE msg IS NOT NULL;
      CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL);
    `,
  },
];
