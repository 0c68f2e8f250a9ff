import { Command } from 'commander';
import { replayUndelivered } from '@ritual/observers';
import type { CliContext } from './context.js';

/**
 * `ritual replay JOURNAL [STORE]`: store the events an observer could not
 * take during a run (its folder vanished, the disk filled up) — the run
 * printed the journal's path and this command when it happened.
 */
export function replayCommand(ctx: CliContext): Command {
  return new Command('replay')
    .description(
      "Store a run from the journal of events an observer could not take (the run printed this command and the journal's path).",
    )
    .argument('<journal>', 'the .jsonl journal file the run named')
    .argument('[store]', 'runs folder or mongodb:// URL to store the run in (default: runs)', 'runs')
    .option('--keep-id', 'store the run under its original id instead of the next free one')
    .addHelpText(
      'after',
      '\nExamples:\n  ritual replay ~/.cache/ritual/undelivered/mnist-…-FileStorageObserver_runs_.jsonl runs\n  ritual replay journal.jsonl mongodb://localhost:27017/sacred',
    )
    .action(async (journal: string, store: string, options: { keepId?: boolean }) => {
      const { runId, resumed } = await replayUndelivered(journal, store, { keepId: options.keepId ?? false });
      if (resumed) ctx.out(`Completed run ${String(runId)} in ${store} with the events from ${journal}.`);
      else ctx.out(`Stored the run from ${journal} in ${store}${runId === null ? '' : ` as run ${String(runId)}`}.`);
    });
}
