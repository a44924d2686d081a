// Readings of the box itself (CPU, memory, disk, SoC temperature) from systeminformation. Shared by
// the self-telemetry source and the health checks, and cached so neither pays for the other.
import si from "systeminformation";

export interface SystemMetrics { cpuPercent: number; memPercent: number; diskPercent: number; tempC: number | null; ts: number }

export class SystemMetricsReader {
  private cached: SystemMetrics | null = null;
  private pending: Promise<SystemMetrics> | null = null;
  constructor(private readonly dataDir: string, private readonly maxAgeMs = 5000, private readonly now: () => number = Date.now) {}

  async read(): Promise<SystemMetrics> {
    if (this.cached && this.now() - this.cached.ts < this.maxAgeMs) return this.cached;
    if (this.pending) return this.pending;
    this.pending = (async () => {
      const [load, mem, fs, temp] = await Promise.all([
        si.currentLoad().catch(() => null),
        si.mem().catch(() => null),
        si.fsSize().catch(() => []),
        si.cpuTemperature().catch(() => null),
      ]);
      // The filesystem that holds the buffer is the one that matters: pick the longest mount prefix.
      const disk = (fs as any[]).filter((f) => this.dataDir.startsWith(f.mount)).sort((a, b) => b.mount.length - a.mount.length)[0];
      const m: SystemMetrics = {
        cpuPercent: round(load?.currentLoad ?? 0),
        memPercent: mem ? round(((mem.total - mem.available) / mem.total) * 100) : 0,
        diskPercent: disk ? round(disk.use ?? 0) : 0,
        tempC: temp && typeof temp.main === "number" && temp.main > -100 ? temp.main : null,
        ts: this.now(),
      };
      this.cached = m;
      return m;
    })().finally(() => { this.pending = null; });
    return this.pending;
  }
}

function round(x: number): number { return Math.round(x * 10) / 10; }
