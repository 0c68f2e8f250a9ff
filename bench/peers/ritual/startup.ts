/**
 * Start-up subject: a ritual experiment whose main returns at once, with the
 * default capture (host, git, sources, dependencies, console output) and a
 * file observer on the folder in RITUAL_BENCH_RUNS. The Sacred side is
 * bench/peers/sacred/startup.py.
 */
import { Experiment } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';

const runs = process.env.RITUAL_BENCH_RUNS;
if (runs === undefined) throw new Error('set RITUAL_BENCH_RUNS to the folder the file observer writes to');

new Experiment('startup').observe(new FileStorageObserver(runs)).automain(import.meta, () => 0);
