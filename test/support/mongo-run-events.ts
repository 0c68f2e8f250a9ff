/**
 * A scripted run that drives an observer with events shaped exactly as the Run
 * sends them (packages/core/src/observer/observer.ts), with deterministic content and
 * times so two runs can be compared document by document. Used by the MongoDB
 * tests and, through mongo-run-child.ts, by the multi-process ones.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject, Observer, RunId, StartedEvent } from '@ritual/core';

export interface ScriptedRunOptions {
  /** Folder for the fake experiment's sources and artifacts. */
  workDir: string;
  beats?: number;
  pointsPerBeat?: number;
  metricNames?: string[];
  /** Real time between beats (lets a test stop the server mid-run). */
  beatDelayMs?: number;
  /** Called after each beat's events were handed to the observer. */
  onBeat?: (beat: number) => void | Promise<void>;
  /** Fixed start time, so documents of two runs compare equal. */
  start?: Date;
  /** End with this event. */
  end?: 'completed' | 'failed' | 'interrupted' | 'none';
  /** Characters of output per beat (default a short line). */
  outputPerBeat?: number;
  close?: boolean;
}

export function writeSources(workDir: string): StartedEvent['experiment'] {
  mkdirSync(workDir, { recursive: true });
  const files = { 'train.ts': 'export const train = 1;\n', 'model/net.ts': 'export const layers = [128, 10];\n' };
  const sources = Object.entries(files).map(([relativePath, content]) => {
    const absolutePath = join(workDir, relativePath);
    mkdirSync(join(absolutePath, '..'), { recursive: true });
    writeFileSync(absolutePath, content);
    return { relativePath, absolutePath, md5: createHash('md5').update(content).digest('hex') };
  });
  return {
    name: 'mnist',
    base_dir: workDir,
    mainfile: 'train.ts',
    sources,
    dependencies: ['@tensorflow/tfjs==4.22.0', 'seedrandom==3.0.5'],
    repositories: [{ url: 'git@example.com:team/mnist.git', commit: 'abc123', dirty: false }],
  };
}

export function startedEvent(workDir: string, start: Date): StartedEvent {
  return {
    runId: null,
    experiment: writeSources(workDir),
    command: 'main',
    host: {
      hostname: 'test-host',
      os: ['Linux', 'Linux-6.1-x86_64'],
      node_version: 'v20.19.0',
      cpu: 'Test CPU',
      cpu_count: 2,
      ENV: {},
    },
    startTime: start,
    config: {
      lr: 0.001,
      epochs: 3,
      batchSize: 64,
      model: {
        hidden: 128,
        layers: [
          [1, 2],
          [3, 4],
        ],
      },
      seed: 12345,
    },
    meta: {
      command: 'main',
      options: { '--mongo_db': 'mongodb://localhost/sacred' },
      config_updates: { lr: 0.001 },
      named_configs: [],
    },
  };
}

/** Runs the script; returns the id the observer named (if any). */
export async function driveRun(observer: Observer, options: ScriptedRunOptions): Promise<RunId | void> {
  const start = options.start ?? new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
  const beats = options.beats ?? 5;
  const points = options.pointsPerBeat ?? 10;
  const names = options.metricNames ?? ['train.loss', 'train.acc'];
  const info: JsonObject = { custom: 'value' };
  const runId = (await observer.started?.(startedEvent(options.workDir, start))) ?? null;
  const at = (ms: number): Date => new Date(start.getTime() + ms);
  for (let beat = 0; beat < beats; beat += 1) {
    const metrics = names.map((name, index) => {
      const steps = Array.from({ length: points }, (_, i) => beat * points + i);
      return {
        name,
        steps,
        // a NaN now and then, as real loss curves have
        values: steps.map((step) => (step === 7 && index === 0 ? Number.NaN : (index + 1) / (step + 1))),
        timestamps: steps.map((step) => start.getTime() + step),
      };
    });
    await observer.logMetrics?.({ runId, metrics, info });
    info.beat = beat;
    const line = `beat ${beat} lösung ✓\n`;
    const delta = options.outputPerBeat ? line.padEnd(options.outputPerBeat, '.') : line;
    await observer.heartbeat?.({
      runId,
      info,
      capturedOutDelta: delta,
      beatTime: at(1000 * (beat + 1)),
      result: undefined,
    });
    if (beat === 1) {
      const artifact = join(options.workDir, 'model.json');
      writeFileSync(artifact, JSON.stringify({ weights: [1, 2, 3] }));
      await observer.artifactAdded?.({ runId, name: 'model/model.json', path: artifact, metadata: { epoch: 1 } });
    }
    await options.onBeat?.(beat);
    if (options.beatDelayMs) await new Promise((resolve) => setTimeout(resolve, options.beatDelayMs));
  }
  const stopTime = at(1000 * (beats + 1));
  if (options.end === 'failed') await observer.failed?.({ runId, stopTime, failTrace: ['Traceback:', 'Error: boom'] });
  else if (options.end === 'interrupted') await observer.interrupted?.({ runId, stopTime, status: 'INTERRUPTED' });
  else if (options.end !== 'none') await observer.completed?.({ runId, stopTime, result: 0.97 });
  if (options.close !== false) await observer.close?.();
  return runId ?? undefined;
}
