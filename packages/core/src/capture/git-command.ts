import { spawn } from 'node:child_process';
import { type CommandOutput, CommandShellGone } from '../command-shell.js';
import { runThroughShell } from './git-coprocess.js';

/**
 * One git command in a working tree, its stdout as text. Capture runs two
 * fixed, read-only commands per repository at every run start, so this is
 * node:child_process directly rather than simple-git, measured with the
 * start-up benchmark (issue 7): loading simple-git cost ~45 ms of CPU (a
 * third of the 150 ms start-up budget), and simple-git holds a command that
 * prints nothing (`git remote -v` in a repository without remotes) for a
 * fixed 50 ms after git has exited. Commands go through a shell of their
 * own (git-coprocess.ts, command-shell.ts: no fork of this process per
 * command), or a process each where that shell cannot run.
 *
 * Failures keep simple-git's rules, which the recorded warnings rely on: a
 * command fails when git exits non-zero AND writes to stderr, and the message
 * is git's output (stdout, then stderr); when git cannot be started, the
 * message is Node's (`spawn git ENOENT` when git is not on PATH).
 */
export class GitCommandError extends Error {
  override readonly name = 'GitCommandError';
}

export async function runGit(cwd: string, args: readonly string[]): Promise<string> {
  let output: CommandOutput;
  try {
    output = await runThroughShell(cwd, args);
  } catch (error) {
    if (!(error instanceof CommandShellGone)) throw new GitCommandError((error as Error).message, { cause: error });
    output = await spawnGit(cwd, args);
  }
  if (output.code !== 0 && output.stderr.length > 0) {
    throw new GitCommandError(Buffer.concat([output.stdout, output.stderr]).toString('utf8'));
  }
  return output.stdout.toString('utf8');
}

/** git as a child process of its own. */
function spawnGit(cwd: string, args: readonly string[]): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, windowsHide: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', (error) => reject(new GitCommandError(error.message, { cause: error })));
    child.once('close', (code) =>
      resolve({ stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), code: code ?? 0 }),
    );
  });
}
