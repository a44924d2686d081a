// Transaction users of the SIP engine (registrar, GB/T 28181 platform, liveness, API): created here
// by the gb28181 work and attached to the engine that install.ts builds. Not built yet.
import type { Gateway } from "../gateway.ts";

export function installSipUsers(_gw: Gateway, _engine: unknown): void {}
