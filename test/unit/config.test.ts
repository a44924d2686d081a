import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig, formatErrors } from "../../app/config/validate.ts";
import { loadConfigFile, saveConfigFile } from "../../app/config/file.ts";
import { MASK, redact, unmask } from "../../app/config/redact.ts";
import { changedPaths } from "../../app/config/store.ts";

const dir = () => mkdtempSync(join(tmpdir(), "cfg-"));

describe("configuration", () => {
  test("an empty document runs: every key has a default, the fixed keys have the SPEC's names", () => {
    const v = validateConfig({});
    if (!v.ok) throw new Error(formatErrors(v.errors));
    const c = v.config;
    expect(c.gateway).toEqual({ id: "gw-0001", prefix: "gw" });
    expect(c.web.listen).toBe("0.0.0.0:8080");
    expect(c.store.maxBytes).toBe(268435456);
    expect(c.uplink.mqtt).toMatchObject({ url: "mqtt://127.0.0.1:1883", username: "", password: "" });
    expect(c.sip.udp).toBe("0.0.0.0:5060");
    expect(c.sip.tcp).toBe("0.0.0.0:5060");
    expect(c.sip.gb28181).toMatchObject({ serverId: "34020000002000000001", domain: "3402000000", password: "", keepaliveInterval: 60, keepaliveTimeoutCount: 3, queryOnRegister: true });
    expect(c.sim.counter.rateHz).toBe(0);
    expect(validateConfig(null).ok).toBe(true);
  });

  test("every error is listed as path: reason", () => {
    const v = validateConfig({ gateway: { id: "has space" }, colour: "red", store: { maxBytes: "big" }, uplink: { mqtt: { url: "http://x" } }, log: { level: "loud" } });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    const lines = formatErrors(v.errors).split("\n").sort();
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe("colour: unknown key");
    expect(lines[1]).toStartWith('gateway.id: invalid value "has space"');
    expect(lines[2]).toBe('log.level: must be one of "debug", "info", "warn", "error"');
    expect(lines[3]).toBe("store.maxBytes: expected integer");
    expect(lines[4]).toStartWith('uplink.mqtt.url: invalid value "http://x"');
    expect(v.errors.map((e) => e.path).sort()).toEqual(["colour", "gateway.id", "log.level", "store.maxBytes", "uplink.mqtt.url"]);
  });

  test("rules across keys: a password needs a username, cert and key go together", () => {
    const v = validateConfig({ uplink: { mqtt: { password: "x", cert: "/c.pem" } } });
    expect(!v.ok && v.errors).toEqual([
      { path: "uplink.mqtt.username", reason: "required when a password is set (brokers refuse a password alone)" },
      { path: "uplink.mqtt.key", reason: "client certificate and key go together" },
    ]);
  });

  test("YAML syntax errors and unreadable files are one clear line, never a stack trace", () => {
    const d = dir();
    writeFileSync(join(d, "bad.yaml"), "gateway: {id: [\n");
    const r = loadConfigFile(join(d, "bad.yaml"), true);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatErrors(r.errors)).toMatch(/^\(file\): not valid YAML/);
    const m = loadConfigFile(join(d, "missing.yaml"), true);
    expect(!m.ok && m.errors[0].reason).toContain("no such file");
    expect(loadConfigFile(join(d, "missing.yaml"), false).ok).toBe(true);
  });

  test("atomic save keeps the last good file; an invalid document never replaces a good one", () => {
    const d = dir();
    const f = join(d, "gateway.yaml");
    expect(saveConfigFile(f, { gateway: { id: "gw-a" } }).ok).toBe(true);
    expect(saveConfigFile(f, { gateway: { id: "gw-b" } }).ok).toBe(true);
    const cur = loadConfigFile(f);
    expect(cur.ok && cur.config.gateway.id).toBe("gw-b");
    const prev = loadConfigFile(f + ".last-good");
    expect(prev.ok && prev.config.gateway.id).toBe("gw-a");
    const before = readFileSync(f, "utf8");
    const bad = saveConfigFile(f, { gateway: { id: "no spaces allowed" } });
    expect(bad.ok).toBe(false);
    expect(readFileSync(f, "utf8")).toBe(before);
    expect(existsSync(f + `.tmp-${process.pid}`)).toBe(false);
  });

  test("secrets are masked, and a masked value sent back keeps the stored secret", () => {
    const v = validateConfig({ uplink: { mqtt: { username: "box", password: "s3cret" } }, sip: { gb28181: { password: "cam-pass" } } });
    if (!v.ok) throw new Error("invalid");
    const shown = redact(v.config) as any;
    expect(shown.uplink.mqtt.password).toBe(MASK);
    expect(shown.sip.gb28181.password).toBe(MASK);
    expect(JSON.stringify(shown)).not.toContain("s3cret");
    expect(shown.web.passwordHash).toBe("");   // empty stays empty: the page can tell "not set"
    const back = unmask({ ...shown, gateway: { id: "gw-x", prefix: "gw" } }, v.config);
    expect(back.uplink.mqtt.password).toBe("s3cret");
    expect(back.sip.gb28181.password).toBe("cam-pass");
    expect(back.gateway.id).toBe("gw-x");
  });

  test("changed paths are reported per leaf", () => {
    expect(changedPaths({ a: { b: 1, c: 2 }, d: 1 }, { a: { b: 1, c: 3 }, d: 1 })).toEqual(["a.c"]);
    expect(changedPaths({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
