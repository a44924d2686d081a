// Where each feature module plugs into the composition root. Each module exposes one
// `install(gw)` that creates its services, adds them to gw.lifecycle, and registers its routes
// (gw.web.add), health checks (gw.health.add), metrics (gw.metrics.add), outward events
// (gw.recorder.publish) and status section (gw.statusSections). Order here is start order.
import type { Gateway } from "./gateway.ts";

import { installSip } from "./sip/install.ts";

import { installBridge } from "./bridge/install.ts";

import { installEnergy } from "./energy/install.ts";

export function installModules(gw: Gateway): void {
  installEnergy(gw);

  installBridge(gw);

  installSip(gw);

}
