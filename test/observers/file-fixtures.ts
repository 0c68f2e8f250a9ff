/**
 * Events shaped as packages/core/src/observer/observer.ts says the Run sends them,
 * for driving the FileStorageObserver directly in tests, child processes and
 * the heartbeat benchmark.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExperimentInfo, HostInfo, RunMeta, StartedEvent } from '@ritual/core';

export async function tempDir(prefix = 'ritual-file-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function md5(content: string | Buffer): string {
  return createHash('md5').update(content).digest('hex');
}

/** A source folder with train.js and lib/model.js, as the capture module would report it. */
export async function makeExperiment(dir: string, name = 'mnist'): Promise<ExperimentInfo> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, 'lib'), { recursive: true });
  await writeFile(join(dir, 'train.js'), 'console.log("train");\n');
  await writeFile(join(dir, 'lib', 'model.js'), 'export const hidden = 128;\n');
  const sources = await Promise.all(
    ['train.js', 'lib/model.js'].map(async (relativePath) => {
      const absolutePath = join(dir, relativePath);
      return { relativePath, absolutePath, md5: md5(await readFile(absolutePath)) };
    }),
  );
  return {
    name,
    base_dir: dir,
    mainfile: 'train.js',
    sources,
    dependencies: ['@tensorflow/tfjs==4.22.0', 'seedrandom==3.0.5'],
    repositories: [{ url: 'https://github.com/example/ritual-demo.git', commit: 'a'.repeat(40), dirty: false }],
  };
}

export const host: HostInfo = {
  hostname: 'testhost',
  os: ['Linux', 'Linux-6.1.0-x86_64'],
  node_version: '20.20.2',
  cpu: 'Test CPU @ 2.00GHz',
  cpu_count: 2,
  ENV: {},
};

export const meta: RunMeta = {
  command: 'main',
  options: { '--file_storage': 'runs', '--name': null, '--queue': false },
  config_updates: { lr: 0.01 },
  named_configs: [],
  comment: 'a test run',
};

export function startedEvent(experiment: ExperimentInfo, overrides: Partial<StartedEvent> = {}): StartedEvent {
  return {
    runId: null,
    experiment,
    command: 'main',
    host,
    startTime: new Date('2026-11-27T10:00:00.123Z'),
    config: { lr: 0.01, epochs: 3, seed: 42, model: { hidden: 128, '10': 'ten', '2': 'two' } },
    meta,
    ...overrides,
  };
}
