// The `energy` config slice (modes, thresholds, scheduler knobs). Filled in by the energy module.
import { Section } from "../config/types.ts";

export const EnergyConfig = Section({});
