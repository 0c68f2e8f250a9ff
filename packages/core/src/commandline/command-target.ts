/**
 * What the command line needs from an experiment: its commands and named
 * configs to list, its config to resolve, and one run to start. The
 * Experiment implements it and hands itself to command-dispatch.ts, which
 * therefore depends on this contract instead of importing the Experiment
 * class that imports it back.
 */
import type { ParsedCommandLine } from './index.js';
import type { ConfigEntry, ResolvedConfig } from '../config/index.js';
import type { RunOutcome } from '../run/run-lifecycle.js';
import type { RunSweep } from '../run/run-record.js';
import type { RunContext } from '../capture/index.js';

/**
 * One run of a command, as the command line or `ex.run()` asks for it: the
 * updates, named configs and options of a (possibly programmatic) command line.
 */
export interface StartRunRequest extends Pick<ParsedCommandLine, 'updates' | 'requested' | 'options' | 'metaOptions'> {
  command: string;
  /** Only the command line turns SIGINT/SIGTERM into an INTERRUPTED run; a library caller keeps its own handlers. */
  handleSignals: boolean;
  /** The config already resolved for this request (print_config before the run), so it is not resolved twice. */
  resolved?: Pick<ResolvedConfig, 'config' | 'namedConfigs'>;
  /** `meta.sweep` of a run queued by `--multirun -q` (a sweep's child runs learn it from the environment). */
  sweep?: RunSweep;
  /**
   * Shared by the runs a `--multirun -q` queues in one process: sources, git and host are captured
   * once (the first run fills it), not once per queued run.
   */
  contextCell?: { context?: Promise<RunContext> };
}

export interface CommandTarget {
  readonly name: string;
  /** Registered commands (main included) with their help text. */
  readonly commands: ReadonlyMap<string, { readonly doc: string }>;
  readonly namedConfigs: ReadonlyMap<string, ConfigEntry>;
  /** The file automain was called from, when known. */
  readonly mainFile: string | null;
  readonly options: { readonly baseDir?: string };
  readonly extraSources: readonly string[];
  readonly extraDependencies: ReadonlyMap<string, string>;
  resolve(updates: Record<string, unknown>, requested: string[], force: boolean): ResolvedConfig;
  /** The config a run uses: resolved, then checked (and possibly transformed) by the experiment's schema. */
  resolveChecked(updates: Record<string, unknown>, requested: string[], force: boolean): Promise<ResolvedConfig>;
  startRun(request: StartRunRequest): Promise<RunOutcome>;
}
