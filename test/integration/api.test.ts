// The HTTP API and the command line, against the real program.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GatewayProcess, ROOT } from "../helpers/gateway-process.ts";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => { for (const c of cleanups.reverse()) await c(); }, 30_000);

function cli(...args: string[]) {
  const r = Bun.spawnSync([process.execPath, join(ROOT, "app/main.ts"), ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

describe("command line", () => {
  test("--version names the release and the commit", () => {
    const r = cli("--version");
    expect(r.code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(r.out.trim()).toMatch(new RegExp(`^gateway ${pkg.version.replace(/\./g, "\\.")} \\(\\S+\\)$`));
  });

  test("check-config lists every error; run refuses to start with the same list (exit 78)", () => {
    const gw = new GatewayProcess();
    const f = join(gw.dir, "bad.yaml");
    writeFileSync(f, "gateway: { id: 'two words' }\nstore: { maxBytes: -1 }\nsip: { gb28181: { serverId: '123' } }\nbogus: true\n");
    const check = cli("check-config", f);
    expect(check.code).toBe(1);
    const lines = check.out.trim().split("\n");
    expect(lines.map((l) => l.split(":")[0]).sort()).toEqual(["bogus", "gateway.id", "sip.gb28181.serverId", "store.maxBytes"]);
    const run = cli("run", "--config", f, "--data", join(gw.dir, "data"));
    expect(run.code).toBe(78);
    for (const l of lines) expect(run.err).toContain(l);
    writeFileSync(f, "gateway: { id: gw-ok }\n");
    expect(cli("check-config", f)).toMatchObject({ code: 0 });
    expect(cli("check-config").code).toBe(2);
  });
});

describe("HTTP API", () => {
  test("first boot, login, sessions, 401s, config round trip, health thresholds at run time, metrics", async () => {
    const gw = new GatewayProcess({ config: { gateway: { id: "gw-api" }, uplink: { mqtt: { url: "mqtt://127.0.0.1:1", username: "box", password: "broker-secret" } }, telemetry: { selfInterval: 0 } } });
    cleanups.push(() => gw.kill());
    await gw.start();
    const api = (path: string, init: RequestInit = {}, cookie = "") =>
      fetch(`${gw.base}${path}`, { ...init, headers: { ...(cookie ? { cookie } : {}), "content-type": "application/json" } });

    // Without a session: health (names only) answers, everything else is 401.
    const h = await api("/api/health");
    expect([200, 503]).toContain(h.status);
    const hb = await h.json();
    expect(hb.checks.map((c: any) => c.name)).toEqual(expect.arrayContaining(["cpu", "memory", "disk", "uplink", "database"]));
    expect(Object.keys(hb.checks[0]).sort()).toEqual(["name", "ok"]);
    for (const [m, p] of [["GET", "/api/status"], ["GET", "/api/config"], ["PUT", "/api/config"], ["GET", "/api/config/schema"], ["GET", "/api/buffer"], ["GET", "/api/uplink"], ["GET", "/metrics"], ["POST", "/api/logout"]]) {
      const r = await api(p, { method: m, body: m === "GET" ? undefined : "{}" });
      expect(`${m} ${p} ${r.status}`).toBe(`${m} ${p} 401`);
      expect((await r.json()).error).toBe("login required");
    }
    expect((await api("/api/session").then((r) => r.json()))).toEqual({ loggedIn: false, passwordSet: false });

    // First boot: a weak password is refused; then setup once, and only once.
    expect((await api("/api/setup", { method: "POST", body: JSON.stringify({ password: "short" }) })).status).toBe(400);
    expect((await api("/api/setup", { method: "POST", body: "not json" })).status).toBe(400);
    const setup = await api("/api/setup", { method: "POST", body: JSON.stringify({ password: "field-engineer-1" }) });
    expect(setup.status).toBe(200);
    const setCookie = setup.headers.get("set-cookie")!;
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect((await api("/api/setup", { method: "POST", body: JSON.stringify({ password: "another-password" }) })).status).toBe(409);

    // Wrong passwords are slowed down.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await api("/api/login", { method: "POST", body: JSON.stringify({ password: "wrong-guess" }) })).status);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses[3]).toBe(429);
    const slowed = await api("/api/login", { method: "POST", body: JSON.stringify({ password: "field-engineer-1" }) });
    expect(slowed.status).toBe(429);
    expect(Number(slowed.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);

    const cookie = setCookie.split(";")[0];
    const st = await (await api("/api/status", {}, cookie)).json();
    expect(st.gateway.id).toBe("gw-api");
    expect(st.uplink.state).toMatch(/buffering|connecting/);

    // Config: secrets masked; invalid PUT → 400 per path, file untouched; valid PUT applied and saved.
    const cfg = await (await api("/api/config", {}, cookie)).json();
    expect(cfg.uplink.mqtt.password).toBe("********");
    const fileBefore = readFileSync(gw.configPath, "utf8");
    const bad = await api("/api/config", { method: "PUT", body: JSON.stringify({ ...cfg, gateway: { id: "bad id", prefix: "gw" }, extra: 1 }) }, cookie);
    expect(bad.status).toBe(400);
    const badBody = await bad.json();
    expect(badBody.error).toBe("invalid configuration");
    expect(badBody.details.map((d: any) => d.path).sort()).toEqual(["extra", "gateway.id"]);
    expect(readFileSync(gw.configPath, "utf8")).toBe(fileBefore);

    // Health thresholds change at run time: memory can never be under 1% used.
    const tight = await api("/api/config", { method: "PUT", body: JSON.stringify({ ...cfg, health: { ...cfg.health, memMaxPercent: 1 } }) }, cookie);
    expect(tight.status).toBe(200);
    expect((await tight.json()).changed).toEqual(["health.memMaxPercent"]);
    expect(readFileSync(gw.configPath, "utf8")).toContain("memMaxPercent: 1");
    expect(readFileSync(gw.configPath, "utf8")).toContain("broker-secret");   // the mask kept the stored secret
    const sick = await api("/api/health", {}, cookie);
    expect(sick.status).toBe(503);
    const mem = (await sick.json()).checks.find((c: any) => c.name === "memory");
    expect(mem).toMatchObject({ ok: false, threshold: 1 });
    expect(mem.value).toBeGreaterThan(1);
    // `gateway health` says the same through its exit code.
    const hc = Bun.spawnSync([process.execPath, join(ROOT, "app/main.ts"), "health", "--url", `${gw.base}/api/health`]);
    expect(hc.exitCode).toBe(1);
    await api("/api/config", { method: "PUT", body: JSON.stringify({ ...cfg, health: { ...cfg.health, memMaxPercent: 100, cpuMaxPercent: 100, diskMaxPercent: 100 } }) }, cookie);
    const healthy = await (await api("/api/health", {}, cookie)).json();
    expect(healthy.checks.filter((c: any) => !c.ok)).toEqual([]);
    expect(Bun.spawnSync([process.execPath, join(ROOT, "app/main.ts"), "health", "--config", gw.configPath]).exitCode).toBe(0);

    const schema = await (await api("/api/config/schema", {}, cookie)).json();
    expect(schema.properties.sip.properties.gb28181.properties.keepaliveInterval.default).toBe(60);

    const metrics = await (await api("/metrics", {}, cookie)).text();
    expect(metrics).toMatch(/^gateway_up 1$/m);
    expect(metrics).toMatch(/^gateway_buffer_rows\{priority="normal"\} \d+$/m);

    // Logout ends the session.
    expect((await api("/api/logout", { method: "POST" }, cookie)).status).toBe(200);
    expect((await api("/api/status", {}, cookie)).status).toBe(401);
    expect((await api("/api/nothing", {}, cookie)).status).toBe(404);
    // The address `gateway run` prints answers with a page (login, then live status).
    const page = await fetch(`${gw.base}/`);
    expect(page.headers.get("content-type")).toStartWith("text/html");
    expect(await page.text()).toContain("/api/session");
    expect((await fetch(`${gw.base}/nothing-here`)).status).toBe(404);
  }, 60_000);
});
