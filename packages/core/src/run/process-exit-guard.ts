/**
 * `process.exit()` called while runs are going on would skip their end
 * events. While at least one run is active, process.exit is replaced: the
 * call ends every active run (the process is going away) and throws, so
 * the code after it does not go on; once the last run has recorded its end,
 * the process really exits with the requested code. Shared by all runs of
 * the process, so concurrent runs cannot restore each other's wrapper.
 */
export class ProcessExitRequest extends Error {
  override readonly name = 'ProcessExitRequest';
  constructor(readonly exitCode: number) {
    super(`process.exit(${exitCode}) was called inside main`);
  }
}

const activeRuns = new Set<(code: number) => void>();
let originalExit: typeof process.exit | null = null;
let requestedCode: number | null = null;

/**
 * Register a run; `onExit` is called if process.exit is requested while it is
 * active. Returns `release`, to call once the run has recorded its end.
 */
export function guardProcessExit(onExit: (code: number) => void): () => void {
  if (originalExit === null) {
    originalExit = process.exit;
    process.exit = ((code?: number | string | null) => {
      const exitCode = Number(code ?? process.exitCode ?? 0) || 0;
      requestedCode ??= exitCode;
      for (const notify of activeRuns) notify(exitCode);
      throw new ProcessExitRequest(exitCode);
    }) as typeof process.exit;
  }
  activeRuns.add(onExit);
  return () => {
    if (!activeRuns.delete(onExit) || activeRuns.size > 0 || originalExit === null) return;
    const exit = originalExit;
    process.exit = exit;
    originalExit = null;
    if (requestedCode !== null) {
      const code = requestedCode;
      requestedCode = null;
      exit.call(process, code);
    }
  };
}
