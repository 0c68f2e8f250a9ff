import { Command } from 'commander';
import { BackendError } from '@ritual/core';
import { runSync, type SyncOutput } from '@ritual/observers';
import { redactMongoUrl } from '@ritual/observers';

export { runSync, type SyncReport } from '@ritual/observers';

/** The `sync` subcommand, for the `ritual` program. */
export function syncCommand(out: SyncOutput = process.stdout): Command {
  return new Command('sync')
    .description('Upload MongoDB runs kept in the local journal (the database was unreachable when they ran).')
    .argument('[journal_dir]', 'journal folder (default: $RITUAL_JOURNAL_DIR or ~/.cache/ritual/journal)')
    .argument('[url]', 'mongodb:// URL to upload to (default: the one each run was writing to)')
    .action(async (journalDir: string | undefined, url: string | undefined) => {
      const report = await runSync(journalDir, url, out);
      if (report.failed.length > 0) {
        throw new BackendError(
          `${report.failed.length} journal(s) could not be uploaded${url ? ` to ${redactMongoUrl(url)}` : ''}; they are kept, run ritual sync again later.`,
        );
      }
    });
}

export function registerSyncCommand(program: Command, out?: SyncOutput): Command {
  const command = syncCommand(out);
  command.copyInheritedSettings(program);
  program.addCommand(command);
  return command;
}
