/**
 * A runs folder written by ritual itself (Experiment + FileStorageObserver),
 * for the board's tests and screenshots: two completed runs with known metrics
 * (`lossAt(lr, i)` and `accAt(lr, i)` at step i) and artifacts, a failed one,
 * one whose name is HTML, and a run folder that is not valid JSON.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Experiment } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';

export const HOSTILE_NAME = '<img src=x onerror=alert(1)>';
export const POINTS = 200;
/** A 1x1 red PNG. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

export const lossAt = (lr: number, i: number): number => (1 + lr) / (i + 1);
/** Rises to a plateau that is lower and reached later the larger lr is: each run's line differs in a chart. */
export const accAt = (lr: number, i: number): number =>
  (1 - 0.4 * Math.min(lr, 1)) * (1 - Math.exp(-(i + 1) / (15 + 60 * Math.min(lr, 1))));

export async function makeBoardFixture(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ritual-board-'));
  const files = path.join(dir, '..', `${path.basename(dir)}-files`);
  await mkdir(files, { recursive: true });
  await writeFile(path.join(files, 'report.json'), JSON.stringify({ accuracy: 0.97, note: '<b>not bold</b>' }));
  await writeFile(path.join(files, 'curve.png'), PNG);
  const ex = new Experiment('board-demo')
    .config({ lr: 0.1, epochs: 3, model: { hidden: 16 } })
    .main(async ({ config, run }) => {
      for (let i = 0; i < POINTS; i++) {
        run.logScalar('loss', lossAt(config.lr, i), i);
        run.logScalar('acc', accAt(config.lr, i), i);
      }
      console.log(`training with lr=${config.lr}`);
      await run.addArtifact(path.join(files, 'report.json'), 'report.json');
      await run.addArtifact(path.join(files, 'curve.png'), 'curve.png');
      if (config.lr > 1) throw new Error('loss diverged');
      return 1 - config.lr;
    });
  ex.observe(new FileStorageObserver(dir));
  const runs: Array<{ lr: number; name?: string }> = [
    { lr: 0.1 },
    { lr: 0.01 },
    { lr: 5 },
    { lr: 0.5, name: HOSTILE_NAME },
  ];
  for (const { lr, name } of runs) {
    await ex
      .run({
        configUpdates: { lr, seed: 1 },
        options: { loglevel: 'ERROR', systemInterval: 0, ...(name ? { name } : {}) },
      })
      .catch(() => undefined); // lr = 5 fails on purpose
  }
  await mkdir(path.join(dir, '5'));
  await writeFile(path.join(dir, '5', 'config.json'), '{"lr": 1}');
  await writeFile(path.join(dir, '5', 'run.json'), '{"status": "COMPL');
  return dir;
}
