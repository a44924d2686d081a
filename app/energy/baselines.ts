// The two policies the adaptive one is measured against (scripts/bench/energy.ts) and that a user may
// still choose: `fixed` (everything on, always) and `thresholds` (modes on battery percentage alone,
// the usual charge-controller practice: full ≥ 60%, saver ≥ 30%, survival below, 5 points hysteresis).
import type { ModeId } from "./config.ts";
import { RANK, type PolicyConfig, type PolicyInput, type Strategy, type Target } from "./policy.ts";

export class FixedStrategy implements Strategy {
  readonly name = "fixed";
  target(): Target { return { mode: "full", reason: "fixed policy: always full" }; }
}

export class ThresholdStrategy implements Strategy {
  readonly name = "thresholds";
  constructor(private readonly cfg: () => PolicyConfig) {}
  target(x: PolicyInput, current: ModeId): Target {
    const t = this.cfg().thresholds;
    const above = (thr: number, m: ModeId) => x.soc >= thr + (RANK[m] > RANK[current] ? t.hysteresis : 0);
    const mode: ModeId = above(t.fullAbove, "full") ? "full" : above(t.saverAbove, "saver") ? "saver" : "survival";
    return { mode, reason: `battery ${x.soc.toFixed(0)}% (thresholds ${t.fullAbove}/${t.saverAbove}%)`, urgent: RANK[mode] < RANK[current] };
  }
}
