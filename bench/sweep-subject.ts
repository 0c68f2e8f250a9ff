/**
 * The experiment bench/sweep-overhead.ts runs, by hand and as a sweep: a short main (a few metric
 * points and a result), so that what is measured is the cost of starting and recording runs.
 */
import { Experiment } from '@ritual/core';

const ex = new Experiment('sweep-bench').config({ lr: 0.1, hidden: 1 });

ex.automain(import.meta, ({ config, run }) => {
  for (let i = 0; i < 100; i++) run.logScalar('loss', 1 / (1 + i * config.lr * config.hidden));
  return config.lr * config.hidden;
});
