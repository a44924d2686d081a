// The `bridge` config slice (Modbus TCP/RTU to MQTT). Filled in by the bridge module.
import { Section } from "../config/types.ts";

export const BridgeConfig = Section({});
