import { Command } from 'commander';
import { UsageError } from '@ritual/core';
import type { CliContext } from './context.js';
import { isProbablyDead } from './run-summary.js';
import { parseRunId, splitStore, withStore } from './store-argument.js';

/**
 * `ritual fail [STORE] ID`: end a run whose process was killed (kill -9, a
 * lost machine), which would otherwise stay RUNNING forever: status FAILED,
 * stop time = its last heartbeat. Only a probably-dead run, unless --force.
 */
export function failCommand(ctx: CliContext): Command {
  return new Command('fail')
    .description(
      'Mark a run whose process died (RUNNING without a heartbeat for 2 minutes) as FAILED, stopped at its last heartbeat.',
    )
    .argument('[store]', 'runs folder or mongodb:// URL (default: runs)')
    .argument('[id]', 'run id, as listed by `ritual ls`')
    .usage('[STORE] ID [options]')
    .option('--force', 'also mark a run whose heartbeat is recent (its process may still be alive)')
    .addHelpText(
      'after',
      '\nExamples:\n  ritual ls --status dead\n  ritual fail 7\n  ritual fail mongodb://localhost:27017/sacred 12',
    )
    .action(async (first: string | undefined, second: string | undefined, options: { force?: boolean }) => {
      const positionals = [first, second].filter((p): p is string => p !== undefined);
      const { location, rest } = splitStore(positionals, { fixed: 1, usage: '[STORE] ID, e.g. `ritual fail 7`' });
      await withStore(location, async (store) => {
        const id = parseRunId(rest[0] as string);
        const run = await store.get(id);
        if (run.status !== 'RUNNING')
          throw new UsageError(`Run ${String(id)} is ${run.status}, not RUNNING: nothing to mark.`);
        if (!options.force && !isProbablyDead(run, ctx.now())) {
          throw new UsageError(
            `Run ${String(id)} had a heartbeat less than 2 minutes ago, so its process may be alive. Wait, or use --force.`,
          );
        }
        const last = run.heartbeat ?? run.start_time;
        await store.markFailed(id, [
          `Marked FAILED by \`ritual fail\` at ${ctx.now().toISOString()}: the process stopped sending heartbeats${last ? ` after ${last.toISOString()}` : ''} (killed?).\n`,
        ]);
        ctx.out(`Run ${String(id)} marked FAILED (stopped at its last heartbeat).`);
      });
    });
}
