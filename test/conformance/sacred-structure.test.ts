/**
 * Sacred 0.8.7 itself (Python, from PyPI) runs an equivalent experiment with
 * its FileStorageObserver; the run folder ritual writes must have the same
 * structure: file names, keys and value types of run.json, config.json,
 * metrics.json, info.json. Values (paths, times, host) naturally differ.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FileRunStore, FileStorageObserver } from '@ritual/observers';
import { parseSacredJson } from '../../packages/observers/src/file/sacred-json.js';
import { makeExperiment, meta, startedEvent, tempDir } from '../observers/file-fixtures.js';
import { pythonEnvOrSkip } from '../support/python-env.js';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const SACRED_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/;
const RITUAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;

/** Differences we make on purpose, each with its reason. Paths are dotted; `*` keeps only "is an object". */
const DELIBERATE: Array<{ file: string; path: string; reason: string; keepObject?: boolean }> = [
  {
    file: 'run.json',
    path: 'host.python_version',
    reason: 'ritual runs on Node: the runtime version is host.node_version',
  },
  { file: 'run.json', path: 'host.node_version', reason: "the Node counterpart of Sacred's host.python_version" },
  { file: 'run.json', path: 'host.cpu_count', reason: 'an extra host fact ritual records (Sacred has none)' },
  { file: 'run.json', path: 'host.memory_total', reason: 'an extra host fact ritual records (Sacred has none)' },
  { file: 'run.json', path: 'host.gpus', reason: 'only present when a GPU is found, in both' },
  {
    file: 'run.json',
    path: 'meta.options',
    keepObject: true,
    reason:
      "the flag set is each command line's own: Sacred adds docopt internals (COMMAND, UPDATE, help, with) and Python-only flags (--pdb, --s3, --sql, --tiny_db)",
  },
];
const DELIBERATE_FILES = [
  {
    name: '.ritual',
    reason:
      "ritual's append-only metrics log and temp files of atomic writes; a folder, so Sacred readers (incense) skip it",
  },
];

type Shape = string | { [key: string]: Shape } | Shape[];

function shape(value: unknown): Shape {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, shape(v)]));
  return typeof value;
}

function drop(target: Record<string, Shape>, path: string, keepObject: boolean): void {
  const parts = path.split('.');
  let node: Shape | undefined = target;
  for (const part of parts.slice(0, -1)) node = (node as Record<string, Shape> | undefined)?.[part];
  const last = parts.at(-1) as string;
  if (node && typeof node === 'object' && !Array.isArray(node) && last in node) {
    if (keepObject)
      node[last] =
        typeof node[last] === 'object' && !Array.isArray(node[last])
          ? 'object'
          : `not an object: ${JSON.stringify(node[last])}`;
    else delete node[last];
  }
}

/** Differences between two shapes; an empty array matches any array (no element to compare). */
function compare(sacred: Shape, ours: Shape, path: string, out: string[]): void {
  if (Array.isArray(sacred) || Array.isArray(ours)) {
    if (!Array.isArray(sacred) || !Array.isArray(ours))
      return void out.push(`${path}: Sacred ${JSON.stringify(sacred)} vs ritual ${JSON.stringify(ours)}`);
    if (sacred.length > 0 && ours.length > 0) compare(sacred[0] as Shape, ours[0] as Shape, `${path}[0]`, out);
    return;
  }
  if (typeof sacred === 'object' && typeof ours === 'object') {
    for (const key of new Set([...Object.keys(sacred), ...Object.keys(ours)])) {
      if (!(key in ours)) out.push(`${path}.${key}: only in Sacred's file`);
      else if (!(key in sacred)) out.push(`${path}.${key}: only in ritual's file`);
      else compare(sacred[key] as Shape, ours[key] as Shape, `${path}.${key}`, out);
    }
    return;
  }
  if (sacred !== ours) out.push(`${path}: Sacred ${JSON.stringify(sacred)} vs ritual ${JSON.stringify(ours)}`);
}

/** The same experiment, written by ritual's observer with the events the Run sends. */
async function writeRitualRun(base: string, artifact: string): Promise<string> {
  const runsDir = join(base, 'ritual-runs');
  const observer = new FileStorageObserver(runsDir);
  const experiment = await makeExperiment(join(base, 'ritual-src'));
  const runId = await observer.started(
    startedEvent(experiment, {
      // Values Python spells its own way (non-ASCII, astral, tiny floats): the byte check below covers them.
      config: { epochs: 3, lr: 1.5e-7, model: { hidden: 128 }, seed: 31303992 },
      meta: { ...meta, comment: 'héllo 😀', config_updates: { lr: 1.5e-7 } },
    }),
  );
  const now = Date.now();
  await observer.logMetrics({
    runId,
    info: {},
    metrics: [
      { name: 'loss', steps: [0, 1, 2], values: [1, 0.00001, Number.NaN], timestamps: [now, now + 1, now + 2] },
      { name: 'acc', steps: [0, 1, 2], values: [0.5, 0.6, 0.7], timestamps: [now, now + 1, now + 2] },
    ],
  });
  await observer.heartbeat({
    runId,
    info: { note: 'naïve 日本' },
    capturedOutDelta: 'training\n',
    beatTime: new Date(),
    result: null,
  });
  await observer.artifactAdded({ runId, name: 'model.json', path: artifact });
  await observer.completed({ runId, stopTime: new Date(), result: 0.8 });
  await observer.close();
  return join(runsDir, String(runId));
}

test("ritual's run folder has the structure of Sacred 0.8.7's FileStorageObserver", { timeout: 600_000 }, async (t) => {
  const env = await pythonEnvOrSkip();
  if ('skip' in env) return t.skip(env.skip);
  const base = await tempDir('ritual-conformance-');
  const artifact = join(base, 'model.json');
  await writeFile(artifact, '{"w": 1}');

  // Sacred's side: a real Sacred run, in its own folder so its sources are just the script.
  const sacredBase = join(base, 'sacred');
  await (await import('node:fs/promises')).mkdir(sacredBase);
  await copyFile(join(HERE, 'sacred_experiment.py'), join(sacredBase, 'sacred_experiment.py'));
  // --capture=sys: Sacred's default fd capture (a tee child) can lose the last line when the machine is busy.
  await run(env.python, ['sacred_experiment.py', 'with', 'lr=0.02', '-c', 'hello', '--capture=sys'], {
    cwd: sacredBase,
    env: { ...process.env, RUNS_DIR: join(sacredBase, 'runs'), ARTIFACT_FILE: artifact },
  });
  const sacredRun = join(sacredBase, 'runs', '1');
  const ritualRun = await writeRitualRun(base, artifact);

  const hidden = new Set(DELIBERATE_FILES.map((f) => f.name));
  assert.deepEqual(
    (await readdir(ritualRun)).filter((name) => !hidden.has(name)).sort(),
    (await readdir(sacredRun)).sort(),
  );

  const problems: string[] = [];
  for (const file of ['run.json', 'config.json', 'metrics.json', 'info.json']) {
    // Both may hold bare NaN tokens, as Python's json writes them.
    const sacred = shape(parseSacredJson(await readFile(join(sacredRun, file), 'utf8'))) as Record<string, Shape>;
    const ours = shape(parseSacredJson(await readFile(join(ritualRun, file), 'utf8'))) as Record<string, Shape>;
    for (const { path, keepObject } of DELIBERATE.filter((d) => d.file === file)) {
      drop(sacred, path, keepObject ?? false);
      drop(ours, path, keepObject ?? false);
    }
    compare(sacred, ours, file, problems);
  }
  assert.deepEqual(problems, [], 'structural differences that are not listed in DELIBERATE');

  // Times: Sacred's format, always with the 6 fractional digits Sacredboard parses.
  const sacredEntry = JSON.parse(await readFile(join(sacredRun, 'run.json'), 'utf8'));
  const ourEntry = parseSacredJson(await readFile(join(ritualRun, 'run.json'), 'utf8')) as Record<string, any>;
  for (const key of ['start_time', 'heartbeat', 'stop_time']) {
    assert.match(sacredEntry[key], SACRED_TIME);
    assert.match(ourEntry[key], RITUAL_TIME);
  }
  const ourMetrics = parseSacredJson(await readFile(join(ritualRun, 'metrics.json'), 'utf8')) as Record<string, any>;
  for (const time of ourMetrics.loss.timestamps) assert.match(time, RITUAL_TIME);
  assert.match(sacredEntry.experiment.sources[0][1], /^_sources\/sacred_experiment_[0-9a-f]{32}\.py$/);
  // Code copies get .txt after Sacred's name so the user's toolchain never globs them (README, Storage).
  assert.match(ourEntry.experiment.sources[0][1], /^_sources\/train_[0-9a-f]{32}\.js\.txt$/);
  assert.equal(await readFile(join(ritualRun, 'cout.txt'), 'utf8'), 'training\n');

  // Byte format: Python's json.dump(sort_keys=True, indent=2) of our data reproduces our files exactly.
  const ourConfig = await readFile(join(ritualRun, 'config.json'), 'utf8');
  assert.match(ourConfig, /"lr": 1\.5e-07,/);
  assert.match(await readFile(join(ritualRun, 'run.json'), 'utf8'), /"comment": "h\\u00e9llo \\ud83d\\ude00"/);
  assert.match(await readFile(join(ritualRun, 'metrics.json'), 'utf8'), /1e-05,\n {6}NaN\n/);
  const files = ['run.json', 'config.json', 'metrics.json', 'info.json'].map((f) => join(ritualRun, f));
  const { stdout } = await run(env.python, [join(HERE, 'python_json_roundtrip.py'), ...files]);
  assert.deepEqual(JSON.parse(stdout), [], 'files whose bytes differ from Python json.dump(sort_keys=True, indent=2)');

  // And the other way round: ritual's store reads the run Sacred wrote (no metrics log there).
  const store = await FileRunStore.open(join(sacredBase, 'runs'));
  const sacredStored = await store.get(1);
  assert.equal(sacredStored.status, 'COMPLETED');
  assert.equal(sacredStored.result, 0.8);
  assert.deepEqual(sacredStored.config.model, { hidden: 128 });
  assert.ok(sacredStored.start_time instanceof Date && sacredStored.stop_time instanceof Date);
  assert.equal(sacredStored.captured_out?.includes('training'), true);
  const [acc, loss] = await store.metrics(1);
  assert.deepEqual(loss?.values, [1, 0.5, 1 / 3]);
  assert.deepEqual(acc?.steps, [0, 1, 2]);
  assert.ok(loss?.timestamps.every((ms) => Math.abs(ms - (sacredStored.start_time as Date).getTime()) < 60_000));
  assert.deepEqual(await store.artifacts(1), [{ name: 'model.json', size: 8 }]);
});
