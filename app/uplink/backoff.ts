// Reconnect delay: exponential from min to max with full jitter, so a fleet of boxes that lost the
// same broker does not come back in one wave.
export class Backoff {
  private attempt = 0;
  constructor(private readonly minMs: number, private readonly maxMs: number, private readonly random: () => number = Math.random) {}
  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(this.minMs / 2 + this.random() * (ceiling - this.minMs / 2));
  }
  reset(): void { this.attempt = 0; }
}
