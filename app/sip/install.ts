// Plugs the sip module into the gateway (see app/modules.ts). Not built yet.
import type { Gateway } from "../gateway.ts";

export function installSip(_gw: Gateway): void {}
