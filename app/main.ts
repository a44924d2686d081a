// The only entry: CLI → load config → build the gateway → run until SIGTERM/SIGINT → stop in reverse.
import { parseCli, EXIT, USAGE } from "./cli.ts";
import { loadConfigFile } from "./config/file.ts";
import { formatErrors } from "./config/validate.ts";
import { boardByName, boards } from "../hw/boards/index.ts";
import { COMMIT, VERSION } from "./version.ts";
import { splitHostPort } from "./web/server.ts";

async function run(flags: Record<string, string | true>): Promise<number> {
  const configPath = typeof flags.config === "string" ? flags.config : "gateway.yaml";
  const dataDir = typeof flags.data === "string" ? flags.data : "data";
  const boardName = typeof flags.board === "string" ? flags.board : "sim";
  const board = boardByName(boardName);
  if (!board) { console.error(`unknown board "${boardName}"; known: ${Object.keys(boards).join(", ")}`); return EXIT.usage; }
  const loaded = loadConfigFile(configPath, typeof flags.config === "string");
  if (!loaded.ok) {
    console.error(`${configPath}: configuration is invalid; not starting:\n${formatErrors(loaded.errors)}`);
    return EXIT.config;
  }
  const { Gateway } = await import("./gateway.ts");
  let gw;
  try {
    gw = new Gateway({ config: loaded.config, configPath, dataDir, board });
    await gw.start();
  } catch (e) {
    console.error(`gateway failed to start: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.failure;
  }
  const { hostname } = splitHostPort(loaded.config.web.listen);
  const shown = hostname === "0.0.0.0" ? "127.0.0.1" : hostname;
  console.log(`gateway ${VERSION} running on board ${board.name}; web page: http://${shown}:${gw.web.port}/`);
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (sig: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`${sig}: stopping`);
      const force = setTimeout(() => resolve(EXIT.failure), 10_000);
      await gw.stop();
      clearTimeout(force);
      resolve(EXIT.ok);
    };
    process.on("SIGTERM", () => void stop("SIGTERM"));
    process.on("SIGINT", () => void stop("SIGINT"));
  });
}

function checkConfig(args: string[]): number {
  const file = args[0];
  if (!file) { console.error(USAGE); return EXIT.usage; }
  const r = loadConfigFile(file, true);
  if (r.ok) { console.log(`${file}: ok`); return EXIT.ok; }
  console.log(formatErrors(r.errors));
  return EXIT.failure;
}

async function health(flags: Record<string, string | true>): Promise<number> {
  let url = typeof flags.url === "string" ? flags.url : "";
  if (!url) {
    const configPath = typeof flags.config === "string" ? flags.config : "gateway.yaml";
    const r = loadConfigFile(configPath);
    if (!r.ok) { console.error(formatErrors(r.errors)); return EXIT.failure; }
    const { hostname, port } = splitHostPort(r.config.web.listen);
    url = `http://${hostname === "0.0.0.0" ? "127.0.0.1" : hostname}:${port}/api/health`;
  }
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const body = await res.text();
    console.log(body);
    return res.status === 200 ? EXIT.ok : EXIT.failure;
  } catch (e) {
    console.error(`health: ${url}: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.failure;
  }
}

async function main(argv: string[]): Promise<number> {
  const cli = parseCli(argv);
  if (cli.flags.version || cli.command === "version") { console.log(`gateway ${VERSION} (${COMMIT})`); return EXIT.ok; }
  switch (cli.command) {
    case "run": return run(cli.flags);
    case "check-config": return checkConfig(cli.args);
    case "health": return health(cli.flags);
    case "verify-bundle": return (await import("./firmware/verify-command.ts")).verifyBundleCommand(cli.args, cli.flags);
    case "help": case "": console.log(USAGE); return cli.command ? EXIT.ok : EXIT.usage;
    default: console.error(`unknown command "${cli.command}"\n${USAGE}`); return EXIT.usage;
  }
}

process.exit(await main(process.argv.slice(2)));
