import { startOutputCapture, type OutputCapture } from '../capture/output.js';
import { describeReproducibility } from '../capture/reproducibility.js';
import { Heartbeat } from './heartbeat.js';
import type { Logger } from '../logger.js';
import { MetricBuffer } from './metric-buffer.js';
import { ObserverChain } from '../observer/observer-chain.js';
import type { Observer } from '../observer/observer.js';
import { Run } from './run.js';
import type { ExperimentInfo, HostInfo, JsonObject, MetricSeries, RunId, RunMeta } from './run-record.js';
import { runUnseeded, Seeding } from '../seeding.js';
import { SystemSampler } from '../system-metrics/system-sampler.js';
import { startWatchdog, type WatchdogOptions } from './watchdog.js';
import { guardProcessExit, ProcessExitRequest } from './process-exit-guard.js';
import { errorMessage } from '../error-message.js';
import { needTurnsUntil } from '../event-loop-demand.js';
import type { QueueClaim } from '../queue/queue-claim.js';

/** What the lifecycle needs to know to run once; built by the Experiment from the command line or `ex.run()`. */
export interface RunPlan {
  experimentName: string;
  command: string;
  config: JsonObject;
  /** The read-only view of `config` that main receives. */
  frozenConfig: unknown;
  seed: number;
  meta: RunMeta;
  observers: readonly Observer[];
  /** Seconds between heartbeats. */
  beatInterval: number;
  capture: 'no' | 'sys' | 'fd';
  queue: boolean;
  requestedId: RunId | null;
  /** The QUEUED run a worker claimed for this process, which this run becomes. */
  claimed?: QueueClaim;
  /** Seconds between system metric samples while main runs; 0 turns sampling off. */
  systemInterval: number;
  /** Seconds until the run is stopped with status TIMEOUT. */
  timeout?: number;
  /** Whether SIGINT/SIGTERM end the run (and then the process) as INTERRUPTED. */
  handleSignals: boolean;
  log: Logger;
  warn: (message: string) => void;
  captureContext: () => Promise<{ experiment: Omit<ExperimentInfo, 'name'>; host: HostInfo; warnings: string[] }>;
  body: (run: Run<unknown>, seeding: Seeding) => unknown;
}

/** How the run ended, for the caller to decide the exit code. */
export type RunOutcome =
  | { status: 'COMPLETED'; run: Run<unknown> }
  | { status: 'QUEUED'; run: Run<unknown> }
  | { status: 'FAILED'; run: Run<unknown>; error: unknown }
  | { status: 'INTERRUPTED' | 'TIMEOUT'; run: Run<unknown>; signal: string };

type Ending =
  | { kind: 'returned'; value: unknown }
  | { kind: 'threw'; error: unknown }
  | { kind: 'stopped'; status: 'INTERRUPTED' | 'TIMEOUT'; signal: string }
  | { kind: 'exited'; code: number };

/**
 * The life of one run: capture, observers' `started`, heartbeats, main, then
 * exactly one end event. Everything the observers were promised is delivered
 * in `finally`-style paths: a failing main, a signal or a timeout still gets
 * the final metrics, the final beat and the end event to every observer.
 */
export async function executeRun(plan: RunPlan): Promise<RunOutcome> {
  const metrics = new MetricBuffer();
  const chain = new ObserverChain(plan.observers, plan.warn, plan.experimentName);
  const run = new Run<unknown>(plan.experimentName, plan.frozenConfig as never, plan.seed, metrics, chain);
  const output: OutputCapture = startOutputCapture(plan.observers.length > 0 ? plan.capture : 'no');

  let context;
  try {
    context = await plan.captureContext();
  } catch (error) {
    output.dispose();
    throw error;
  }
  for (const warning of context.warnings) plan.warn(warning);
  const experiment: ExperimentInfo = { name: plan.experimentName, ...context.experiment };

  if (plan.queue) {
    try {
      run.status = 'QUEUED';
      run.id = await chain.open('queued', {
        runId: plan.requestedId,
        requestedId: plan.requestedId,
        experiment,
        command: plan.command,
        host: context.host,
        queueTime: new Date(),
        config: plan.config,
        meta: plan.meta,
      });
      return { status: 'QUEUED', run };
    } finally {
      await chain.close();
      output.dispose();
    }
  }

  run.startTime = new Date();
  try {
    run.id = await chain.open('started', {
      runId: plan.requestedId,
      requestedId: plan.requestedId,
      experiment,
      command: plan.command,
      host: context.host,
      startTime: run.startTime,
      config: plan.config,
      meta: plan.meta,
      ...(plan.claimed ? { claimed: plan.claimed } : {}),
    });
  } catch (error) {
    await chain.close();
    output.dispose();
    throw error;
  }

  /*
   * A signal, the timeout or an uncaught error ends the run while main may
   * still be running (it is not cancelled: it goes on printing and logging
   * until the process exits, 0.2-2 s later). What the run stores must be one
   * instant of it, so the final output and the final points are both taken at
   * the moment the run is stopped, synchronously in the handler, between two
   * turns of main: `MARK i` is stored exactly when x = i is. Whatever main
   * prints or logs after that instant is stored by no observer (the points
   * stay in a buffer nobody drains, the output is no longer captured).
   */
  let stopSnapshot: { metrics: MetricSeries[] } | null = null;
  const takeStopSnapshot = (): void => {
    if (stopSnapshot !== null) return;
    metrics.pullSources();
    stopSnapshot = { metrics: metrics.hasPending ? metrics.drain() : [] };
    output.stop();
  };

  const beat = async (final = false) => {
    // After the stop snapshot only the final beat delivers, and only the snapshot.
    if (stopSnapshot !== null && !final) return;
    if (stopSnapshot === null) metrics.pullSources();
    const points = stopSnapshot?.metrics ?? (metrics.hasPending ? metrics.drain() : []);
    if (points.length > 0) await chain.emit('logMetrics', { runId: run.id, metrics: points, info: run.info });
    // The final beat stops the capture, which adds what is still in flight (an unfinished line, bytes in the fd relay).
    if (final) output.stop();
    // Output comes in pieces of a few MiB, one heartbeat each, so that memory stays bounded however much main
    // printed since the last beat. A beat takes what was waiting when it began: a main printing faster than the
    // observers store cannot keep it going forever (after stop() nothing is added, so the final beat takes it all).
    let due = output.pendingBytes;
    do {
      const capturedOutDelta = output.drain();
      due -= Buffer.byteLength(capturedOutDelta);
      const event = { runId: run.id, info: run.info, capturedOutDelta, beatTime: new Date(), result: run.result };
      await chain.emit('heartbeat', event);
      if (capturedOutDelta === '') break;
    } while (due > 0 && output.pendingBytes > 0);
  };
  run.info.reproducibility = (await reproducibility(plan)) as unknown as JsonObject;
  // A beat's observer I/O asks a training loop that rarely yields to turn the event loop until it is done.
  const heartbeat = new Heartbeat(plan.beatInterval * 1000, () => needTurnsUntil(beat()));
  heartbeat.start();

  const seeding = new Seeding(plan.seed);
  const stopSignals = watchForStop(
    plan,
    () => ({ recorders: chain.timeoutRecorders(), runLabel: run.id === null ? 'the run' : `run ${String(run.id)}` }),
    takeStopSnapshot,
  );
  const restoreRandom = seeding.installGlobalRandom();
  let ending: Ending;
  let sampler: SystemSampler | null = null;
  try {
    const mainEnded = Promise.resolve()
      .then(() => plan.body(run, seeding))
      .then(
        (value): Ending => ({ kind: 'returned', value }),
        (error: unknown): Ending => ({ kind: 'threw', error }),
      );
    // Started once main is on its way, and outside main's async context: its timers and probes
    // must not draw from the seeded Math.random.
    sampler = runUnseeded(() => startSystemSampler(plan, run, metrics));
    ending = await Promise.race([mainEnded, stopSignals.stopped]);
  } finally {
    restoreRandom();
    stopSignals.dispose();
    if (sampler) run.info.system = sampler.stop();
  }

  await heartbeat.stop();
  let outcome: RunOutcome;
  if (ending.kind === 'returned') {
    run.status = 'COMPLETED';
    run.result = ending.value;
    outcome = { status: 'COMPLETED', run };
  } else if (ending.kind === 'threw') {
    run.status = 'FAILED';
    outcome = { status: 'FAILED', run, error: ending.error };
  } else if (ending.kind === 'exited') {
    // process.exit(0) is a normal end; any other code is a failure.
    run.status = ending.code === 0 ? 'COMPLETED' : 'FAILED';
    outcome =
      ending.code === 0
        ? { status: 'COMPLETED', run }
        : { status: 'FAILED', run, error: new ProcessExitRequest(ending.code) };
  } else {
    run.status = ending.status;
    outcome = { status: ending.status, run, signal: ending.signal };
  }

  // The backend is usually chosen inside main, so what the numbers depend on is known only now.
  run.info.reproducibility = (await reproducibility(plan)) as unknown as JsonObject;
  try {
    await beat(true);
  } catch (error) {
    plan.warn(`Final heartbeat failed: ${errorMessage(error)}`);
  }
  // As in Sacred, the stop time follows the final heartbeat.
  run.stopTime = new Date();
  if (outcome.status === 'COMPLETED') {
    await chain.end('completed', { runId: run.id, stopTime: run.stopTime, result: run.result });
  } else if (outcome.status === 'FAILED') {
    await chain.end('failed', { runId: run.id, stopTime: run.stopTime, failTrace: failTrace(outcome.error) });
  } else if (outcome.status === 'INTERRUPTED' || outcome.status === 'TIMEOUT') {
    await chain.end('interrupted', { runId: run.id, stopTime: run.stopTime, status: outcome.status });
  }
  await chain.close();
  output.dispose();
  // Exits the process here if main called process.exit (once every other active run has ended too).
  stopSignals.releaseExit();
  return outcome;
}

/** Null when sampling is off or nothing would store the metrics. */
function startSystemSampler(plan: RunPlan, run: Run<unknown>, metrics: MetricBuffer): SystemSampler | null {
  if (plan.systemInterval <= 0 || plan.observers.length === 0) return null;
  const sampler = new SystemSampler({
    intervalSeconds: plan.systemInterval,
    record: (name, value, step) => metrics.log(name, value, step),
    summarize: (summary) => (run.info.system = summary),
    debug: (message) => plan.log.debug(message),
  });
  sampler.start();
  return sampler;
}

/** The seed plus the runtime facts that change the numbers (Node, tfjs version, backend, wasm flags). */
async function reproducibility(plan: RunPlan): Promise<Record<string, unknown>> {
  try {
    return { seed: plan.seed, ...(await describeReproducibility()) };
  } catch {
    return { seed: plan.seed, node_version: process.versions.node };
  }
}

/** Sacred stores the traceback as a list of lines. */
export function failTrace(error: unknown): string[] {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : `Error: ${String(error)}`;
  return text.split('\n').map((line) => `${line}\n`);
}

/**
 * Turns the events that must end a run early into one promise: SIGINT and
 * SIGTERM (INTERRUPTED, unlike Sacred which leaves a SIGTERM'ed run RUNNING),
 * the `--timeout` (TIMEOUT), and errors nobody caught while main ran
 * (FAILED, via a rejected promise turned into `threw`).
 */
function watchForStop(
  plan: RunPlan,
  watchdogOptions: () => Omit<WatchdogOptions, 'timeoutSeconds'>,
  /** Called synchronously when the run is stopped, before anything else can run (see takeStopSnapshot). */
  onStop: () => void,
): { stopped: Promise<Ending>; dispose: () => void; releaseExit: () => void } {
  let resolveStopped!: (ending: Ending) => void;
  const stopped = new Promise<Ending>((resolve) => (resolveStopped = resolve));
  const settle = (ending: Ending): void => {
    try {
      onStop();
    } finally {
      resolveStopped(ending);
    }
  };
  const cleanups: Array<() => void> = [];

  if (plan.handleSignals) {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const onSignal = () => settle({ kind: 'stopped', status: 'INTERRUPTED', signal });
      process.on(signal, onSignal);
      cleanups.push(() => process.off(signal, onSignal));
    }
  }
  if (plan.timeout !== undefined) {
    const watchdog = startWatchdog({ timeoutSeconds: plan.timeout, ...watchdogOptions() });
    const timer = setTimeout(() => {
      watchdog.cancel();
      settle({ kind: 'stopped', status: 'TIMEOUT', signal: 'timeout' });
    }, plan.timeout * 1000);
    cleanups.push(() => {
      clearTimeout(timer);
      watchdog.cancel();
    });
  }
  const onUncaught = (error: unknown) => settle({ kind: 'threw', error });
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  cleanups.push(() => {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  });
  // process.exit() inside main would skip the end event: record the run first, then exit.
  const releaseExit = guardProcessExit((code) => settle({ kind: 'exited', code }));
  return {
    stopped,
    dispose: () => {
      for (const cleanup of cleanups) cleanup();
    },
    releaseExit,
  };
}
