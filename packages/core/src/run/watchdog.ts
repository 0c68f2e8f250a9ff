import type { TimeoutRecorder } from '../observer/observer.js';

/**
 * The last resort of `--timeout`: a main that never yields (a synchronous
 * infinite loop) blocks the event loop, so the ordinary timeout timer can
 * never fire and no observer event can be delivered. A worker thread waits
 * out the deadline plus a grace period, then records the end itself through
 * each observer's TimeoutRecorder (run.json rewritten, the MongoDB journal
 * completed and uploaded), and kills the process. What main logged since the
 * last heartbeat is lost with it; everything flushed before stays.
 *
 * Interrupting the blocked JavaScript instead (inspector's
 * terminateExecution) was tried and crashes Node inside timer callbacks.
 * Started only when a timeout is asked for: it costs a thread.
 *
 * The worker is plain CommonJS evaluated from this string so it needs no
 * build step. The recorders are ES modules; when they are TypeScript sources
 * (a checkout run under tsx, as the tests do), they are loaded through tsx's
 * `tsImport`, because tsx does not register itself in worker threads.
 */
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');

const say = (line) => writeSync(2, 'ritual: ' + line + '\\n');

async function load(url) {
  try {
    return await import(url);
  } catch (error) {
    if (error.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    const manifest = createRequire(url).resolve('tsx/package.json');
    const api = require(manifest).exports['./esm/api'].import.default;
    const { tsImport } = await import(pathToFileURL(join(dirname(manifest), api)).href);
    return tsImport(url, url);
  }
}

function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(what + ' took longer than ' + Math.round(ms / 1000) + ' s')), Math.max(0, ms)); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function record(entry, end, deadline) {
  const module = await within(load(entry.recorder.module), deadline - Date.now(), 'loading the recorder');
  const recordEnd = module[entry.recorder.exportName];
  if (typeof recordEnd !== 'function') throw new Error(entry.recorder.module + ' has no export ' + entry.recorder.exportName);
  return within(recordEnd(entry.recorder.args, end), deadline - Date.now(), 'recording');
}

setTimeout(async () => {
  const { recorders, runLabel, timeoutSeconds, graceSeconds, budgetMs } = workerData;
  say('main has not yielded to the event loop for ' + graceSeconds + ' s after --timeout ' + timeoutSeconds +
    ' expired (a synchronous loop?): recording ' + runLabel + ' as TIMEOUT, then killing the process.');
  const end = { status: 'TIMEOUT', stopTime: new Date() };
  const deadline = Date.now() + budgetMs;
  const outcomes = await Promise.allSettled(recorders.map((entry) => record(entry, end, deadline)));
  outcomes.forEach((outcome, index) => {
    if (outcome.status === 'fulfilled') say(outcome.value);
    else say(recorders[index].observer + ' could not record the timeout: ' + (outcome.reason && outcome.reason.message || outcome.reason) +
      '. The run stays RUNNING there and shows as probably dead; end it with ritual fail.');
  });
  if (recorders.length === 0) say('No observer can record a timeout from outside main; the run shows as probably dead (ritual fail ends it).');
  process.kill(process.pid, 'SIGKILL');
}, workerData.afterMs);
`;

/** Time a main that does yield has to be stopped by the ordinary timer before the watchdog takes over. */
const GRACE_MS = 10_000;
/** Time the recorders together get before the process is killed regardless. */
const RECORD_BUDGET_MS = 10_000;

export interface WatchdogOptions {
  /** Seconds of `--timeout`, from the start of main. */
  timeoutSeconds: number;
  /** From ObserverChain.timeoutRecorders(). */
  recorders: Array<{ observer: string; recorder: TimeoutRecorder }>;
  /** How the messages name the run, e.g. `run 7`. */
  runLabel: string;
}

export function startWatchdog(options: WatchdogOptions): { cancel: () => void } {
  // Loaded here, not at import: most runs have no timeout, and start-up is budgeted (issue 7).
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  const worker = new Worker(WATCHDOG_SOURCE, {
    eval: true,
    workerData: {
      afterMs: options.timeoutSeconds * 1000 + GRACE_MS,
      graceSeconds: GRACE_MS / 1000,
      timeoutSeconds: options.timeoutSeconds,
      budgetMs: RECORD_BUDGET_MS,
      recorders: options.recorders,
      runLabel: options.runLabel,
    },
    // The recorders' messages must reach the terminal even though main cannot relay them.
    stderr: false,
    stdout: false,
  });
  worker.unref();
  return { cancel: () => void worker.terminate() };
}
