// Prometheus text exposition. Modules register gauge/counter readers; rendering reads them at scrape.
export interface Sample { name: string; help: string; type: "gauge" | "counter"; value: number; labels?: Record<string, string> }
export type MetricSource = () => Sample[];

export class Metrics {
  private readonly sources: MetricSource[] = [];
  add(src: MetricSource): void { this.sources.push(src); }
  render(): string {
    const seen = new Set<string>();
    const lines: string[] = [];
    for (const src of this.sources) {
      for (const s of src()) {
        if (!seen.has(s.name)) {
          seen.add(s.name);
          lines.push(`# HELP ${s.name} ${s.help}`, `# TYPE ${s.name} ${s.type}`);
        }
        const labels = s.labels && Object.keys(s.labels).length
          ? `{${Object.entries(s.labels).map(([k, v]) => `${k}="${String(v).replace(/["\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\" + c))}"`).join(",")}}`
          : "";
        lines.push(`${s.name}${labels} ${Number.isFinite(s.value) ? s.value : 0}`);
      }
    }
    return lines.join("\n") + "\n";
  }
}
