// Per-source rate limit: a token bucket per source IP, checked before a datagram or TCP message is
// parsed, so a flood costs a map lookup. `perSecond <= 0` disables it (benchmarks from one address).

export interface RateLimitOptions {
  /** Sustained messages per second per source IP; 0 = unlimited. */
  perSecond: number;
  /** Bucket size: messages accepted in a burst. */
  burst: number;
  /** Most sources tracked; the oldest are forgotten beyond it. */
  maxSources: number;
}

interface Bucket { tokens: number; at: number }

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  dropped = 0;
  constructor(public opts: RateLimitOptions, private readonly now: () => number) {}

  /** Takes one token for `key`; false when the source is over its rate. */
  allow(key: string): boolean {
    const { perSecond, burst } = this.opts;
    if (perSecond <= 0) return true;
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.opts.maxSources) this.evict();
      b = { tokens: Math.max(1, burst), at: t };
      this.buckets.set(key, b);
    } else if (t > b.at) {
      b.tokens = Math.min(Math.max(1, burst), b.tokens + ((t - b.at) * perSecond) / 1000);
      b.at = t;
    }
    if (b.tokens < 1) { this.dropped++; return false; }
    b.tokens -= 1;
    return true;
  }

  get sources(): number { return this.buckets.size; }

  /** Forgets buckets that have refilled (they behave like new ones), then the oldest if still full. */
  private evict(): void {
    const t = this.now();
    const { perSecond, burst } = this.opts;
    for (const [k, b] of this.buckets) if (b.tokens + ((t - b.at) * perSecond) / 1000 >= burst) this.buckets.delete(k);
    if (this.buckets.size < this.opts.maxSources) return;
    let n = Math.ceil(this.opts.maxSources / 10);
    for (const k of this.buckets.keys()) { if (n-- <= 0) break; this.buckets.delete(k); }
  }
}
