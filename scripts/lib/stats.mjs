// Summaries of timing samples for the benchmarks: median and spread (10th and 90th percentiles).

export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))));
  return s[i];
}

export const median = (xs) => quantile(xs, 0.5);

/** "12.3 (11.9–13.1)": median and the 10th–90th percentile range, in ms. */
export function cell(xs, digits = 1) {
  if (!xs.length) return '—';
  return `${median(xs).toFixed(digits)} (${quantile(xs, 0.1).toFixed(digits)}–${quantile(xs, 0.9).toFixed(digits)})`;
}

/** The 1-, 5- and 15-minute load averages, as the benchmark saw the machine. */
export async function loadAverage() {
  const { readFileSync } = await import('node:fs');
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
