// Plugs the bridge module into the gateway (see app/modules.ts). Not built yet.
import type { Gateway } from "../gateway.ts";

export function installBridge(_gw: Gateway): void {}
