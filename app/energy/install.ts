// Plugs the energy module into the gateway (see app/modules.ts). Not built yet.
import type { Gateway } from "../gateway.ts";

export function installEnergy(_gw: Gateway): void {}
