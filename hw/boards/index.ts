// Board profiles: which drivers and pins a box type uses. `gateway run --board NAME` picks one.
import { simBoard } from "./sim/board.ts";

export interface Board {
  name: string;
  description: string;
  /** true when every driver is a simulated twin (development, tests, `make run`). */
  simulated: boolean;
}

export const boards: Record<string, Board> = { sim: simBoard };

export function boardByName(name: string): Board | undefined { return boards[name]; }
