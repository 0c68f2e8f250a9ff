import { type CommandOutput, CommandShell } from '../command-shell.js';
import { findOnPath } from '../executable-on-path.js';

/**
 * git runs in a shell of the process's own (command-shell.ts), forked once,
 * instead of a fork of this process per command: capture asks git at every
 * run start, in a process that may hold a loaded TensorFlow.
 */
const gitShell = new CommandShell();

/**
 * Runs git through the shell. Rejects with an ENOENT error when git is not
 * on PATH (found without starting anything), and with CommandShellGone when
 * no shell can serve (the caller spawns git itself).
 */
export function runThroughShell(cwd: string, args: readonly string[]): Promise<CommandOutput> {
  const git = findOnPath('git');
  if (git === null) {
    const error = new Error('spawn git ENOENT') as NodeJS.ErrnoException;
    error.code = 'ENOENT';
    return Promise.reject(error);
  }
  return gitShell.run(git, args, { cwd });
}

/** The process id of the git shell, if one runs (tests). */
export function gitShellPid(): number | undefined {
  return gitShell.pid;
}
