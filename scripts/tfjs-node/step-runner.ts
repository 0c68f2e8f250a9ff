/**
 * Progress lines and child processes for the setup steps: each step prints
 * what it does and how long it took, and a failing command becomes a
 * TfjsNodeSetupError that quotes the end of its output (where the reason is).
 */
import { spawn } from 'node:child_process';
import { TfjsNodeSetupError } from './setup-error.js';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

export function progress(message: string): void {
  process.stdout.write(`[setup:tfjs-node ${elapsed()}] ${message}\n`);
}

export interface CommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** What to tell the user if the command fails (appended to the error). */
  hint: string;
  timeoutMs?: number;
}

/** Runs a command, collecting its output; rejects with the last lines of output and the hint. */
export function command(file: string, args: string[], options: CommandOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 20 * 60_000,
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', (error) =>
      reject(new TfjsNodeSetupError(`could not run ${file}: ${error.message}. ${options.hint}`, { cause: error })),
    );
    child.on('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8');
      if (code === 0) return resolve(output);
      const tail = output.trim().split('\n').slice(-3).join(' | ');
      const how = signal === null ? `exit code ${code}` : `signal ${signal}`;
      reject(new TfjsNodeSetupError(`${file} ${args.join(' ')} failed (${how}): ${tail}. ${options.hint}`));
    });
  });
}
