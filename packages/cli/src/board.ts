import { Command, Option } from 'commander';
import { MissingDependencyError, UsageError } from '@ritual/core';
import { openBrowser } from './browser-opener.js';
import type { CliContext } from './context.js';
import { DEFAULT_STORE } from './store-argument.js';

export interface BoardCommandOptions {
  port: string;
  host?: string;
  open?: boolean;
}

/**
 * `ritual board`: the web UI. @ritual/board is imported only here, when the
 * command runs, so `ritual ls` never loads a web server (and a CLI installed
 * without the board still works, saying how to add it).
 */
export function boardCommand(ctx: CliContext): Command {
  return new Command('board')
    .description('Serve a web UI over runs folders and MongoDB: runs table, run pages, metric charts, live runs.')
    .argument('[stores...]', 'runs folders and mongodb:// URLs (default: ./runs)')
    .option('-p, --port <n>', 'port to listen on (0 = any free port)', '5300')
    .addOption(new Option('--host <address>', 'listen on this address (e.g. 0.0.0.0); then a token is required'))
    .option('--open', 'open the board in the default browser (xdg-open, open or start); the URL is printed anyway')
    .addHelpText(
      'after',
      `
Examples:
  ritual board                               ./runs on http://127.0.0.1:5300/
  ritual board runs mongodb://localhost:27017/sacred --open
  ritual board --host 0.0.0.0 --port 8080    reachable from the network: prints a URL with ?token=

Read-only. Stop it with Ctrl-C.`,
    )
    .action(async (stores: string[], options: BoardCommandOptions) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new UsageError(`--port must be a port number from 0 to 65535, not ${JSON.stringify(options.port)}.`);
      }
      const { startBoard } = await importBoard();
      const board = await startBoard({
        stores: stores.length > 0 ? stores : [DEFAULT_STORE],
        port,
        ...(options.host !== undefined ? { host: options.host } : {}),
      });
      ctx.out(`ritual board on ${board.url}`);
      if (board.token) ctx.out('Anyone with this URL (it carries the token) can read these runs; it is printed once.');
      ctx.out('Press Ctrl-C to stop.');
      if (options.open)
        openBrowser(board.url, (reason) =>
          ctx.err(`Could not open a browser (${reason}): open ${board.url} yourself.`),
        );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await board.close();
    });
}

async function importBoard(): Promise<typeof import('@ritual/board')> {
  try {
    return await import('@ritual/board');
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new MissingDependencyError('@ritual/board', 'for `ritual board`', { cause: error });
  }
}
