// The simulated board: every driver is a twin from hw/sim, so a new user sees data flowing with no
// hardware at all. `make run` uses it with hw/boards/sim/gateway.yaml.
import type { Board } from "../index.ts";

export const simBoard: Board = {
  name: "sim",
  description: "Simulated board: no hardware needed (sim counter, simulated sensors and Modbus slave)",
  simulated: true,
};
