import { Command } from 'commander';
import { replayUndeliveredEvents } from '@ritual/observers';
import type { CliContext } from './context.js';

/**
 * `ritual replay JOURNAL [STORE]`: store the events an observer could not
 * take during a run (its folder vanished, the disk filled up) — the run
 * printed the journal's path and this command when it happened.
 */
export function replayCommand(ctx: CliContext): Command {
  return new Command('replay')
    .description("Store a run from the journal of events an observer could not take (the run printed this command and the journal's path).")
    .argument('<journal>', 'the .jsonl journal file the run named')
    .argument('[store]', 'runs folder or mongodb:// URL to store the run in (default: runs)', 'runs')
    .option('--keep-id', 'store the run under its original id instead of the next free one')
    .addHelpText('after', '\nExamples:\n  ritual replay ~/.cache/ritual/undelivered/mnist-…-FileStorageObserver_runs_.jsonl runs\n  ritual replay journal.jsonl mongodb://localhost:27017/sacred')
    .action(async (journal: string, store: string, options: { keepId?: boolean }) => {
      const id = await replayUndeliveredEvents(journal, store, { keepId: options.keepId ?? false });
      ctx.out(`Stored the run from ${journal} in ${store}${id === null ? '' : ` as run ${String(id)}`}.`);
    });
}
