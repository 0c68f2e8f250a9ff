import assert from 'node:assert/strict';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURE_RUNS, runCli } from './run-cli.js';

/** The lines of one titled section of `ritual show` (up to the next blank line). */
function section(output: string, title: string): string[] {
  const lines = output.split('\n');
  const start = lines.indexOf(title);
  assert.ok(start >= 0, `section ${title} in:\n${output}`);
  const end = lines.indexOf('', start + 1);
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

describe('ritual show', () => {
  it('shows status, times, result, config, host, git, sources, metrics and artifacts of a completed run', async () => {
    const { code, stdout, stderr } = await runCli(['show', FIXTURE_RUNS, '1']);
    assert.equal(code, 0, stderr);
    const lines = stdout.split('\n');
    assert.equal(lines[0], 'Run 1  mnist  COMPLETED');
    assert.match(stdout, /started\s+2026-11-27 10:42:18 UTC/);
    assert.match(stdout, /stopped\s+2026-11-27 10:44:03 UTC/);
    assert.match(stdout, /duration\s+1m46s/);
    assert.match(stdout, /result\s+0\.9731/);
    assert.match(stdout, /comment\s+baseline/);
    assert.deepEqual(section(stdout, 'Config'), [
      '  batchSize         64',
      '  epochs            3',
      '  lr                0.001',
      '  model.activation  relu',
      '  model.hidden      128',
      '  seed              12345',
    ]);
    assert.ok(section(stdout, 'Host').some((l) => /node\s+v20\.20\.2/.test(l)));
    assert.ok(section(stdout, 'Host').some((l) => /cpu\s+AMD EPYC 7B13 \(2 cores\)/.test(l)));
    assert.deepEqual(section(stdout, 'Git'), [
      '  https://github.com/ada/mnist.git  3f2c1e9a7b6d5c4e3f2a1b0c9d8e7f6a5b4c3d2e',
    ]);
    assert.ok(
      section(stdout, 'Sources').some((l) =>
        /train\.js\s+_sources\/train_8bea0698e0793e362a7334baf636f9ec\.js/.test(l),
      ),
    );
    assert.deepEqual(section(stdout, 'Dependencies'), ['  @tensorflow/tfjs==4.22.0  seedrandom==3.0.5']);
    const metrics = section(stdout, 'Metrics').join('\n');
    assert.match(metrics, /│ acc\s+│\s+3 │\s+2 │ 0\.9731 │\s+0\.82 │ 0\.9731 │ 2026-11-27 10:43:12/);
    assert.match(metrics, /│ loss\s+│\s+3 │\s+2 │\s+0\.11 │\s+0\.11 │\s+0\.61 │/);
    assert.deepEqual(section(stdout, 'Artifacts'), ['  model.json  53 bytes']);
    assert.doesNotMatch(stdout, /Fail trace/);
  });

  it('prints the system summary a sampled run left in info.system in its host section', async () => {
    const runs = join(await mkdtemp(join(tmpdir(), 'ritual-show-system-')), 'runs');
    await cp(FIXTURE_RUNS, runs, { recursive: true });
    const system = {
      interval_s: 1,
      samples: 104,
      peak_rss_mb: 812.4,
      cpu_percent_mean: 61.2,
      cpu_percent_peak: 98.5,
      process_cpu_percent_mean: 143.7,
      process_cpu_percent_peak: 190.1,
      memory_percent_peak: 41.3,
      gpu_memory_used_mb_peak: 5120,
    };
    await writeFile(join(runs, '1', 'info.json'), JSON.stringify({ system }));
    const { code, stdout, stderr } = await runCli(['show', runs, '1']);
    assert.equal(code, 0, stderr);
    const host = section(stdout, 'Host');
    for (const expected of [
      /sampled\s+104 times, every 1 s$/,
      /cpu use\s+mean 61\.2%, peak 98\.5% \(whole machine\)$/,
      /process cpu\s+mean 143\.7%, peak 190\.1% \(of one core\)$/,
      /peak rss\s+812\.4 MB$/,
      /memory use\s+peak 41\.3% \(whole machine\)$/,
      /gpu memory\s+peak 5120 MB$/,
    ]) {
      assert.ok(
        host.some((line) => expected.test(line)),
        `${String(expected)} in\n${host.join('\n')}`,
      );
    }
    const unsampled = await runCli(['show', FIXTURE_RUNS, '1']);
    assert.ok(!section(unsampled.stdout, 'Host').some((line) => /sampled|peak rss/.test(line)), 'no summary, no lines');
  });

  it('shows the fail trace of a failed run written by Python Sacred, and its Python host', async () => {
    const { code, stdout } = await runCli(['show', FIXTURE_RUNS, '2']);
    assert.equal(code, 0);
    assert.equal(stdout.split('\n')[0], 'Run 2  mnist  FAILED');
    assert.ok(section(stdout, 'Host').some((l) => /python\s+3\.11\.2/.test(l)));
    assert.match(stdout, /updates\s+lr=0\.1 model\.hidden=256/);
    const trace = stdout.slice(stdout.indexOf('Fail trace'));
    assert.deepEqual(trace.trimEnd().split('\n').slice(1), [
      '  Traceback (most recent call last):',
      '    File "train.py", line 12, in main',
      '      loss = step()',
      '  FloatingPointError: loss is NaN (lr too high?)',
    ]);
  });

  it('flags a dead RUNNING run and a dirty git tree', async () => {
    const { stdout } = await runCli(['show', FIXTURE_RUNS, '3']);
    assert.equal(stdout.split('\n')[0], 'Run 3  mnist-long  RUNNING?');
    assert.match(stdout, /probably died/);
    assert.match(section(stdout, 'Git').join('\n'), /\(dirty: uncommitted changes\)/);
  });

  it('prints the run, metric summaries and artifacts as JSON', async () => {
    const { stdout } = await runCli(['show', FIXTURE_RUNS, '1', '--json']);
    const parsed = JSON.parse(stdout) as {
      run: { _id: unknown; config: { lr: number } };
      metrics: Array<{ name: string; last: number; min: number; max: number; count: number }>;
      artifacts: Array<{ name: string }>;
    };
    assert.equal(parsed.run._id, 1);
    assert.equal(parsed.run.config.lr, 0.001);
    assert.deepEqual(
      parsed.metrics.find((m) => m.name === 'loss'),
      { name: 'loss', count: 3, last: 0.11, lastStep: 2, min: 0.11, max: 0.61 },
    );
    assert.deepEqual(
      parsed.artifacts.map((a) => a.name),
      ['model.json'],
    );
  });

  it('refuses an unknown id with a hint and exit code 2', async () => {
    const { code, stdout, stderr } = await runCli(['show', FIXTURE_RUNS, '99']);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /No run with id 99/);
    assert.match(stderr, /ritual ls/);
  });

  it('asks for an id when none is given, and refuses extra arguments', async () => {
    const none = await runCli(['show']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Expected \[STORE\] ID/);
    const extra = await runCli(['show', FIXTURE_RUNS, '1', '2']);
    assert.equal(extra.code, 2);
  });

  it('says the run id is missing when only a store is named (`ritual show runs`)', async () => {
    const { code, stdout, stderr } = await runCli(['show', FIXTURE_RUNS]);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(stderr.trimEnd().split('\n').length, 1, stderr);
    assert.match(stderr, /Missing the run id after the store ".*runs": expected \[STORE\] ID/);
    assert.doesNotMatch(stderr, /No run with id/);
  });
});
