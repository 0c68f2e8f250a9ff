import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPlotSpec } from '../../packages/cli/src/plot-spec.js';
import { FIXTURE_RUNS, runCli } from './run-cli.js';

describe('ritual plot', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ritual-plot-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('draws one line per run into an SVG, labelled with runs and the metric', async () => {
    const file = path.join(dir, 'loss.svg');
    const { code, stderr } = await runCli([
      'plot',
      FIXTURE_RUNS,
      '1,3',
      'loss',
      '-o',
      file,
      '--title',
      'Loss of two runs',
    ]);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /Wrote .*loss\.svg \(2 runs, 1 metric\)/);
    const svg = await readFile(file, 'utf8');
    assert.match(svg, /^<svg[^>]+xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    for (const text of ['Loss of two runs', '1 mnist', '3 mnist-long', '>loss<', '>step<'])
      assert.ok(svg.includes(text), `SVG contains ${text}`);
    // two curves, one per run, each a stroked path through its points
    const curves = svg.match(/<path [^>]*aria-roledescription="line mark"[^>]*>/g) ?? [];
    assert.equal(curves.length, 2);
    assert.ok(curves.some((c) => c.includes('run: 1 mnist')) && curves.some((c) => c.includes('run: 3 mnist-long')));
    assert.ok(curves.every((c) => /d="M[^"]+L[^"]+"/.test(c) && /stroke="#[0-9a-f]{6}"/i.test(c)));
  });

  it('writes a real PNG, one chart per metric', async () => {
    const file = path.join(dir, 'sub', 'curves.png');
    const { code, stderr } = await runCli(['plot', FIXTURE_RUNS, '1,3', 'loss,acc', '-o', file]);
    assert.equal(code, 0, stderr);
    const png = await readFile(file);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    // two stacked 640x320 charts, rendered at 2x
    assert.ok(width > 1280 && width < 2400, `width ${width}`);
    assert.ok(height > 1280, `height ${height} holds two charts`);
    assert.ok((await stat(file)).size > 20_000, 'not an empty picture');
  });

  it('warns about a run lacking one of several metrics and draws the rest', async () => {
    const file = path.join(dir, 'acc.svg');
    const { code, stderr } = await runCli(['plot', FIXTURE_RUNS, '1,2', 'acc', '-o', file]);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /Run 2 has no metric "acc"/);
    assert.ok((await readFile(file, 'utf8')).includes('1 mnist'));
  });

  it('refuses bad output names, missing -o, unknown runs and metrics', async () => {
    const noOutput = await runCli(['plot', FIXTURE_RUNS, '1', 'loss']);
    assert.equal(noOutput.code, 2);
    assert.match(noOutput.stderr, /-o FILE\.svg or -o FILE\.png/);
    const jpg = await runCli(['plot', FIXTURE_RUNS, '1', 'loss', '-o', path.join(dir, 'x.jpg')]);
    assert.equal(jpg.code, 2);
    assert.match(jpg.stderr, /must end in \.svg or \.png/);
    const unknownRun = await runCli(['plot', FIXTURE_RUNS, '1,99', 'loss', '-o', path.join(dir, 'y.svg')]);
    assert.equal(unknownRun.code, 2);
    assert.match(unknownRun.stderr, /No run with id 99/);
    const unknownMetric = await runCli(['plot', FIXTURE_RUNS, '1', 'nope', '-o', path.join(dir, 'z.svg')]);
    assert.equal(unknownMetric.code, 2);
    assert.match(unknownMetric.stderr, /no metric "nope"/);
  });
});

describe('buildPlotSpec', () => {
  const points = [
    { run: '1', metric: 'loss', step: 0, value: 1 },
    { run: '1', metric: 'loss', step: 1, value: 0.5 },
    { run: '1', metric: 'acc', step: 0, value: 0.9 },
  ];
  it('one metric: a single chart titled by the metric', () => {
    const spec = buildPlotSpec(points.slice(0, 2), {
      width: 300,
      height: 200,
      logY: false,
      metrics: ['loss'],
    }) as Record<string, any>;
    assert.equal(spec.mark.type, 'line');
    assert.equal(spec.encoding.y.title, 'loss');
    assert.equal(spec.facet, undefined);
  });
  it('several metrics: one row per metric with independent y scales', () => {
    const spec = buildPlotSpec(points, { width: 300, height: 200, logY: false, metrics: ['loss', 'acc'] }) as Record<
      string,
      any
    >;
    assert.equal(spec.facet.row.field, 'metric');
    assert.deepEqual(spec.facet.row.sort, ['loss', 'acc']);
    assert.equal(spec.resolve.scale.y, 'independent');
  });
  it('a log axis drops values it cannot show', () => {
    const spec = buildPlotSpec([...points.slice(0, 2), { run: '1', metric: 'loss', step: 2, value: 0 }], {
      width: 300,
      height: 200,
      logY: true,
      metrics: ['loss'],
    }) as Record<string, any>;
    assert.equal(spec.encoding.y.scale.type, 'log');
    assert.equal(spec.data.values.length, 2);
  });
});
