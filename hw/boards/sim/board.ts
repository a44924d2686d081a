// The simulated board: every driver is a twin from hw/sim, so a new user sees data flowing with no
// hardware at all. `make run` uses it with hw/boards/sim/gateway.yaml. The simulated box runs the
// reference box of issue #5 on the gateway's clock (sun by the wall clock at 36.6° N, seeded weather).
import type { Board } from "../index.ts";

const sim = (line: number) => ({ chip: "sim", line });

export const simBoard: Board = {
  name: "sim",
  description: "Simulated board: no hardware needed (sim counter, simulated solar box, sensors and Modbus slave)",
  simulated: true,
  energy: {
    gpio: { driver: "sim", lines: { videoPower: sim(0), modemPower: sim(1), loraReset: sim(2), chrg: sim(3), pgood: sim(4), vibration: sim(5) } },
    power: { driver: "sim" },
  },
};
