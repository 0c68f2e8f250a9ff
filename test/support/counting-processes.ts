import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

/**
 * Runs `fn` counting the processes node:child_process starts (spawn and
 * execFile, for ESM importers too): what a test needs to prove that code
 * did not fork the process it runs in.
 */
export async function countingProcesses<T>(
  fn: () => Promise<T>,
): Promise<{ result: PromiseSettledResult<T>; started: string[] }> {
  const { spawn, execFile } = childProcess;
  const started: string[] = [];
  childProcess.spawn = ((command: string, ...rest: unknown[]) => {
    started.push(command);
    return (spawn as (...args: unknown[]) => unknown)(command, ...rest);
  }) as typeof spawn;
  childProcess.execFile = ((command: string, ...rest: unknown[]) => {
    started.push(command);
    return (execFile as (...args: unknown[]) => unknown)(command, ...rest);
  }) as typeof execFile;
  syncBuiltinESMExports();
  try {
    const [result] = await Promise.allSettled([fn()]);
    return { result: result!, started };
  } finally {
    childProcess.spawn = spawn;
    childProcess.execFile = execFile;
    syncBuiltinESMExports();
  }
}
