// Tables owned by the sip module (see app/store/migrations.ts for the rules: ADD-only, never edit a
// shipped version). Version 1: GB/T 28181 devices (binding + liveness), their channels, and the
// recent online/offline transitions shown by GET /api/sip/devices/{id}.
import type { Migration } from "../store/migrations.ts";

export const sipMigrations: Migration[] = [
  {
    module: "sip",
    version: 1,
    name: "gb28181 devices, channels, transitions",
    sql: `
      CREATE TABLE sip_devices (
        id               TEXT PRIMARY KEY,          -- device ID (the REGISTER's To user)
        contact          TEXT NOT NULL DEFAULT '',  -- Contact URI of the binding
        address          TEXT NOT NULL DEFAULT '',  -- observed source host:port of the REGISTER
        transport        TEXT NOT NULL DEFAULT 'udp',
        registered_at    INTEGER NOT NULL DEFAULT 0,
        expires_at       INTEGER NOT NULL DEFAULT 0,  -- ms since epoch; 0 = unregistered
        last_heard       INTEGER NOT NULL DEFAULT 0,
        state            TEXT NOT NULL DEFAULT 'offline',
        reason           TEXT NOT NULL DEFAULT '',
        state_since      INTEGER NOT NULL DEFAULT 0,
        keepalive_address TEXT NOT NULL DEFAULT '',
        user_agent       TEXT NOT NULL DEFAULT '',
        device_info      TEXT NOT NULL DEFAULT '{}',  -- JSON of the last DeviceInfo response
        catalog_at       INTEGER NOT NULL DEFAULT 0,
        catalog_complete INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE sip_channels (
        device_id  TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        name       TEXT NOT NULL DEFAULT '',
        status     TEXT NOT NULL DEFAULT '',
        info       TEXT NOT NULL DEFAULT '{}',       -- JSON of the whole Catalog Item
        updated    INTEGER NOT NULL,
        PRIMARY KEY (device_id, channel_id)
      );
      CREATE TABLE sip_transitions (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL,
        ts        INTEGER NOT NULL,
        state     TEXT NOT NULL,
        reason    TEXT NOT NULL
      );
      CREATE INDEX sip_transitions_device ON sip_transitions (device_id, id);
    `,
  },
];
