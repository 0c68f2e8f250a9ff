import { formatNumber } from './format.js';

/**
 * `info.system`, the summary the run's system sampler leaves (see @ritual/core
 * system-metrics/system-summary.ts), as lines of `ritual show`'s host section.
 * Only what the run measured is shown; a run from before sampling, or with
 * `--system-interval 0`, shows nothing.
 */
export function systemUsageEntries(summary: unknown): Array<[string, string]> {
  if (typeof summary !== 'object' || summary === null || Array.isArray(summary)) return [];
  const s = summary as Record<string, unknown>;
  const n = (key: string): number | undefined => (typeof s[key] === 'number' ? (s[key] as number) : undefined);
  const meanPeak = (mean: number | undefined, peak: number | undefined): string =>
    [mean !== undefined ? `mean ${formatNumber(mean)}%` : '', peak !== undefined ? `peak ${formatNumber(peak)}%` : '']
      .filter(Boolean)
      .join(', ');
  const entries: Array<[string, string]> = [];
  const samples = n('samples');
  const interval = n('interval_s');
  if (samples !== undefined && interval !== undefined) {
    entries.push(['sampled', `${samples} times, every ${formatNumber(interval)} s`]);
  }
  const cpu = meanPeak(n('cpu_percent_mean'), n('cpu_percent_peak'));
  if (cpu) entries.push(['cpu use', `${cpu} (whole machine)`]);
  const processCpu = meanPeak(n('process_cpu_percent_mean'), n('process_cpu_percent_peak'));
  if (processCpu) entries.push(['process cpu', `${processCpu} (of one core)`]);
  const rss = n('peak_rss_mb');
  if (rss !== undefined) entries.push(['peak rss', `${formatNumber(rss)} MB`]);
  const memory = n('memory_percent_peak');
  if (memory !== undefined) entries.push(['memory use', `peak ${formatNumber(memory)}% (whole machine)`]);
  const gpuMemory = n('gpu_memory_used_mb_peak');
  if (gpuMemory !== undefined) entries.push(['gpu memory', `peak ${formatNumber(gpuMemory)} MB`]);
  return entries;
}
