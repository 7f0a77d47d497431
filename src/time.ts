/** "3m ago", "2h ago", "5d ago" from two instants. */
export function formatAge(then: Date, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** "1.2s", "2m05s" for a duration in milliseconds. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, '0')}s`;
}

const unitMs: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses `--since`: a duration back from now (`90s`, `10m`, `2h`, `1d`, `1h30m`) or an absolute
 * ISO 8601 time. Returns undefined when the text is neither.
 */
export function parseSince(text: string, now: Date): Date | undefined {
  const t = text.trim();
  if (/^(\d+[smhdw])+$/.test(t)) {
    let ms = 0;
    for (const m of t.matchAll(/(\d+)([smhdw])/g)) ms += Number(m[1]) * unitMs[m[2]];
    return new Date(now.getTime() - ms);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const d = new Date(t);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return undefined;
}

/** Parses the deployer's `Deployed` (Python `time.time()` as a string). */
export function parseDeployed(raw: string | undefined): Date | undefined {
  if (raw === undefined || !/^\d+(\.\d+)?$/.test(raw.trim())) return undefined;
  const d = new Date(Number(raw) * 1000);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The deployer's own format for `Deployed`: epoch seconds with microseconds, as a string. */
export function formatDeployed(d: Date): string {
  return (d.getTime() / 1000).toFixed(6);
}
