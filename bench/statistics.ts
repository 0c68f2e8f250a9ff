/** Medians: one noisy run on a shared machine must not move a figure. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * A distribution-free confidence interval for the median of `values` (the
 * sign-test interval): between the k-th smallest and the k-th largest value,
 * with k the largest for which a binomial(n, 1/2) count falls below k with
 * probability at most (1 - confidence) / 2. It assumes nothing about the
 * noise of a shared machine but independence of the samples. `confidence` is
 * what the interval achieves (at least the asked one); null below 6 values,
 * too few for a 95 % interval.
 */
export function medianInterval(
  values: readonly number[],
  asked = 0.95,
): { low: number; high: number; confidence: number } | null {
  const n = values.length;
  const sorted = [...values].sort((a, b) => a - b);
  // P(X <= i) for X ~ binomial(n, 1/2), built term by term.
  let term = 0.5 ** n;
  let below = 0; // P(X < k)
  let k = 0;
  while (k < n / 2) {
    const next = below + term; // P(X < k + 1)
    if (next > (1 - asked) / 2) break;
    below = next;
    k++;
    term = (term * (n - k + 1)) / k;
  }
  if (k === 0) return null;
  return { low: sorted[k - 1]!, high: sorted[n - k]!, confidence: 1 - 2 * below };
}
