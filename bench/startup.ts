/**
 * Benchmark 1, start-up overhead: process start to end for an experiment
 * whose main returns at once (full capture + a file observer in a temporary
 * folder), ritual vs Sacred, each against its bare interpreter. The four
 * subjects run in rotating order so that a burst of load on this shared
 * machine hits all of them alike; figures are medians.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild } from './peers/child-process.js';
import { bundleRitualSubject } from './peers/ritual-bundle.js';
import { assertCompletedRun } from './peers/run-folder-check.js';
import { sacredPython, sacredScript } from './peers/sacred.js';
import type { BenchResult, Figure } from './report.js';
import { median } from './statistics.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The target: ritual adds at most this much to a bare `node` start. */
const TARGET_ADDED_MS = 150;

export interface StartupOptions {
  /** Timed runs per subject (after one untimed warm-up run each when more than one). */
  repeats: number;
}

interface Subject {
  name: 'node' | 'ritual' | 'python' | 'sacred';
  command: string;
  args: string[];
  /** Experiments must leave a COMPLETED run behind. */
  records: boolean;
}

export async function runStartupBench({ repeats }: StartupOptions): Promise<BenchResult> {
  const python = await sacredPython();
  const ritualBundle = await bundleRitualSubject(join(HERE, 'peers', 'ritual', 'startup.ts'));
  const subjects: Subject[] = [
    { name: 'node', command: process.execPath, args: [join(HERE, 'peers', 'ritual', 'bare.mjs')], records: false },
    { name: 'ritual', command: process.execPath, args: [ritualBundle], records: true },
    { name: 'python', command: python, args: [sacredScript('bare.py')], records: false },
    { name: 'sacred', command: python, args: [sacredScript('startup.py')], records: true },
  ];
  const times: Record<Subject['name'], number[]> = { node: [], ritual: [], python: [], sacred: [] };
  const cpu: Record<Subject['name'], number[]> = { node: [], ritual: [], python: [], sacred: [] };
  const scratch = await mkdtemp(join(tmpdir(), 'ritual-bench-startup-'));
  try {
    // One untimed warm-up round (disk cache, tsx-free bundle just written) unless this is a single-run smoke.
    for (let round = repeats > 1 ? -1 : 0; round < repeats; round++) {
      for (let k = 0; k < subjects.length; k++) {
        const subject = subjects[(k + Math.max(round, 0)) % subjects.length]!;
        const runs = await mkdtemp(join(scratch, `${subject.name}-`));
        const { ms, cpuMs } = await runChild(subject.command, subject.args, {
          env: { ...process.env, RITUAL_BENCH_RUNS: runs },
          cpuTime: true,
        });
        if (subject.records) await assertCompletedRun(runs, subject.name);
        if (round < 0) continue;
        times[subject.name].push(ms);
        if (cpuMs !== null) cpu[subject.name].push(cpuMs);
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  const node = median(times.node);
  const ritual = median(times.ritual);
  const bare = median(times.python);
  const sacred = median(times.sacred);
  const ritualAdded = ritual - node;
  const sacredAdded = sacred - bare;
  const cpuFigures: Figure[] =
    cpu.ritual.length > 0
      ? [
          {
            benchmark: 'startup',
            name: 'added CPU time',
            unit: 'ms',
            ours: median(cpu.ritual) - median(cpu.node),
            peer: median(cpu.sacred) - median(cpu.python),
            target: '',
            pass: null,
            note: `user + system CPU of the process and the children it waited for (git, tee), GNU time, medians; less sensitive to other load than wall time (bare node ${fmt(median(cpu.node))} ms, bare python3 ${fmt(median(cpu.python))} ms of CPU).`,
          },
        ]
      : [];
  return {
    figures: [
      {
        benchmark: 'startup',
        name: 'added start-up time',
        unit: 'ms',
        ours: ritualAdded,
        peer: sacredAdded,
        target: `<= ${TARGET_ADDED_MS} ms and < Sacred`,
        pass: ritualAdded <= TARGET_ADDED_MS && ritualAdded < sacredAdded,
        note: `median of ${repeats} runs each, rotating order; ritual − bare node (${fmt(ritual)} − ${fmt(node)} ms), Sacred − bare python3 (${fmt(sacred)} − ${fmt(bare)} ms). ritual runs compiled, laid out as installed (@ritual/core and @ritual/observers bundled by esbuild into .cache/bench/node_modules, other packages from node_modules).`,
      },
      {
        benchmark: 'startup',
        name: 'start to end, experiment',
        unit: 'ms',
        ours: ritual,
        peer: sacred,
        target: '',
        pass: null,
      },
      ...cpuFigures,
    ],
    details: { repeats, medians: { node, ritual, python: bare, sacred }, timesMs: times, cpuMs: cpu },
  };
}

function fmt(ms: number): string {
  return ms.toFixed(0);
}
