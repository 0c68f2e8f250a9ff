// The wasm Conv2DBackpropFilter kernel must give the cpu backend's gradient
// bit for bit, on every padding/stride/layout, and make conv nets trainable on wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import seedrandom from 'seedrandom';
import { registerWasmConv2DBackpropFilter } from '../../packages/core/src/tfjs/wasm-conv2d-backprop-filter.js';

type Shape4 = [number, number, number, number];
interface Case {
  name: string;
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const cases: Case[] = [
  {
    name: '3x3 same stride 1 NHWC',
    x: [2, 7, 6, 3],
    filter: [3, 3, 3, 4],
    strides: 1,
    pad: 'same',
    dataFormat: 'NHWC',
  },
  {
    name: '5x5 valid stride 1 (mnist-like)',
    x: [4, 28, 28, 1],
    filter: [5, 5, 1, 8],
    strides: 1,
    pad: 'valid',
    dataFormat: 'NHWC',
  },
  {
    name: '3x3 same stride 2 odd sizes',
    x: [3, 9, 11, 2],
    filter: [3, 3, 2, 5],
    strides: 2,
    pad: 'same',
    dataFormat: 'NHWC',
  },
  {
    name: '2x4 valid strides [2,3]',
    x: [2, 10, 13, 3],
    filter: [2, 4, 3, 2],
    strides: [2, 3],
    pad: 'valid',
    dataFormat: 'NHWC',
  },
  {
    name: 'numeric pad 1 with floor rounding',
    x: [1, 8, 8, 2],
    filter: [3, 3, 2, 3],
    strides: 2,
    pad: 1,
    dataFormat: 'NHWC',
    dimRoundingMode: 'floor',
  },
  {
    name: 'numeric pad 2 with ceil rounding',
    x: [1, 9, 7, 2],
    filter: [4, 4, 2, 3],
    strides: 3,
    pad: 2,
    dataFormat: 'NHWC',
    dimRoundingMode: 'ceil',
  },
  {
    name: 'explicit asymmetric pad',
    x: [2, 6, 7, 2],
    filter: [3, 2, 2, 3],
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
    dataFormat: 'NHWC',
  },
  { name: 'NCHW same stride 1', x: [2, 3, 7, 6], filter: [3, 3, 3, 4], strides: 1, pad: 'same', dataFormat: 'NCHW' },
  {
    name: 'NCHW valid strides [1,2]',
    x: [2, 2, 8, 9],
    filter: [3, 2, 2, 3],
    strides: [1, 2],
    pad: 'valid',
    dataFormat: 'NCHW',
  },
  { name: '1x1 filter', x: [3, 4, 4, 5], filter: [1, 1, 5, 6], strides: 1, pad: 'valid', dataFormat: 'NHWC' },
];

/** Outputs of a conv with the given case's geometry, for dy's shape. */
function dyShape(c: Case): Shape4 {
  const info = tf.backend_util.computeConv2DInfo(
    c.x,
    c.filter,
    c.strides,
    1,
    c.pad,
    c.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(c.dataFormat),
  );
  return info.outShape;
}

/** Random values with a share of exact zeros (as after ReLU), from a seeded stream. */
function values(size: number, seed: string, zeroShare = 0.3): Float32Array {
  const rng = seedrandom(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; ++i) out[i] = rng() < zeroShare ? 0 : (rng() - 0.5) * 4;
  return out;
}

async function backpropFilterOn(
  backend: 'cpu' | 'wasm',
  c: Case,
  xv: Float32Array,
  dyv: Float32Array,
): Promise<Float32Array> {
  await tf.setBackend(backend);
  const x = tf.tensor4d(xv, c.x);
  const dy = tf.tensor4d(dyv, dyShape(c));
  const attrs = {
    strides: c.strides,
    pad: c.pad,
    dataFormat: c.dataFormat,
    dimRoundingMode: c.dimRoundingMode,
    filterShape: c.filter,
  };
  const dW = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as tf.Tensor;
  assert.deepEqual(dW.shape, c.filter);
  const data = (await dW.data()) as Float32Array;
  tf.dispose([x, dy, dW]);
  return data;
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

test('wasm backend lacks the kernel until registered; registration is idempotent', async () => {
  await tf.setBackend('wasm');
  // Prove the gap is real on this tfjs version (if tfjs ever ships it, we keep theirs).
  const shipped = tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined;
  const first = registerWasmConv2DBackpropFilter(tf);
  assert.equal(first, !shipped);
  assert.equal(registerWasmConv2DBackpropFilter(tf), false);
  assert.notEqual(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined);
});

for (const c of cases) {
  test(`bitwise equal to cpu: ${c.name}`, async () => {
    registerWasmConv2DBackpropFilter(tf);
    const size = (s: number[]) => s.reduce((p, v) => p * v, 1);
    const xv = values(size(c.x), `x-${c.name}`);
    const dyv = values(size(dyShape(c)), `dy-${c.name}`, 0.05);
    const cpu = await backpropFilterOn('cpu', c, xv, dyv);
    const wasm = await backpropFilterOn('wasm', c, xv, dyv);
    assert.ok(
      cpu.some((v) => v !== 0),
      'the case must produce a non-trivial gradient',
    );
    assert.deepEqual(bits(wasm), bits(cpu));
  });
}

test('non-finite dy: same result as cpu (zeros of x are not skipped)', async () => {
  registerWasmConv2DBackpropFilter(tf);
  const c = cases[0]!;
  const size = (s: number[]) => s.reduce((p, v) => p * v, 1);
  const xv = values(size(c.x), 'x-inf', 0.5);
  const dyv = values(size(dyShape(c)), 'dy-inf', 0);
  dyv[3] = Infinity;
  dyv[10] = -Infinity;
  const cpu = await backpropFilterOn('cpu', c, xv, dyv);
  const wasm = await backpropFilterOn('wasm', c, xv, dyv);
  assert.ok(
    cpu.some((v) => Number.isNaN(v)),
    '0 * Infinity must reach the output as NaN',
  );
  assert.equal(wasm.length, cpu.length);
  for (let i = 0; i < cpu.length; ++i) assert.ok(Object.is(wasm[i], cpu[i]), `entry ${i}: ${wasm[i]} vs ${cpu[i]}`);
});

test('tf.grad of a conv2d on wasm equals the cpu gradient bit for bit', async () => {
  registerWasmConv2DBackpropFilter(tf);
  const xv = values(2 * 10 * 10 * 2, 'grad-x');
  const fv = values(3 * 3 * 2 * 4, 'grad-f', 0);
  const gradOn = async (backend: 'cpu' | 'wasm') => {
    await tf.setBackend(backend);
    const x = tf.tensor4d(xv, [2, 10, 10, 2]);
    const f = tf.tensor4d(fv, [3, 3, 2, 4]);
    const g = tf.grad((ff: tf.Tensor) => tf.conv2d(x, ff as tf.Tensor4D, 2, 'same').sum())(f);
    const data = (await g.data()) as Float32Array;
    tf.dispose([x, f, g]);
    return data;
  };
  assert.deepEqual(bits(await gradOn('wasm')), bits(await gradOn('cpu')));
});

test('a small conv net trains on wasm', async () => {
  await tf.setBackend('wasm');
  registerWasmConv2DBackpropFilter(tf);
  const rng = seedrandom('train');
  // Two classes: a bright top half or a bright bottom half.
  const n = 64;
  const xs = new Float32Array(n * 8 * 8);
  const ys = new Float32Array(n * 2);
  for (let i = 0; i < n; ++i) {
    const cls = i % 2;
    for (let p = 0; p < 64; ++p) xs[i * 64 + p] = p < 32 === (cls === 0) ? 0.8 + 0.2 * rng() : 0.2 * rng();
    ys[i * 2 + cls] = 1;
  }
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.flatten(),
      tf.layers.dense({
        units: 2,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
  const kernelBefore = (await model.layers[0]!.getWeights()[0]!.data()).slice();
  const x = tf.tensor4d(xs, [n, 8, 8, 1]);
  const y = tf.tensor2d(ys, [n, 2]);
  const h = await model.fit(x, y, { epochs: 15, batchSize: 16, shuffle: false, verbose: 0 });
  const losses = h.history.loss as number[];
  assert.ok(losses.at(-1)! < losses[0]! * 0.5, `loss should fall: ${losses[0]} -> ${losses.at(-1)}`);
  const kernelAfter = await model.layers[0]!.getWeights()[0]!.data();
  assert.ok(
    kernelAfter.some((v, i) => v !== kernelBefore[i]),
    'the conv kernel itself must have been updated',
  );
  tf.dispose([x, y]);
  model.dispose();
});

test('property: random geometries (layout, strides, padding, rounding) stay bitwise equal to cpu', async () => {
  registerWasmConv2DBackpropFilter(tf);
  const fc = await import('fast-check');
  const geometry = fc.record({
    batch: fc.integer({ min: 1, max: 3 }),
    height: fc.integer({ min: 1, max: 9 }),
    width: fc.integer({ min: 1, max: 9 }),
    inC: fc.integer({ min: 1, max: 4 }),
    outC: fc.integer({ min: 1, max: 4 }),
    fH: fc.integer({ min: 1, max: 4 }),
    fW: fc.integer({ min: 1, max: 4 }),
    sH: fc.integer({ min: 1, max: 3 }),
    sW: fc.integer({ min: 1, max: 3 }),
    pad: fc.oneof(
      fc.constant('same' as const),
      fc.constant('valid' as const),
      fc.tuple(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
      ),
    ),
    nchw: fc.boolean(),
    seed: fc.integer(),
  });
  let compared = 0;
  await fc.assert(
    fc.asyncProperty(geometry, async (g) => {
      const pad = Array.isArray(g.pad)
        ? ([
            [0, 0],
            [g.pad[0], g.pad[1]],
            [g.pad[2], g.pad[3]],
            [0, 0],
          ] as Case['pad'])
        : g.pad;
      const x: Shape4 = g.nchw ? [g.batch, g.inC, g.height, g.width] : [g.batch, g.height, g.width, g.inC];
      const c: Case = {
        name: 'random',
        x,
        filter: [g.fH, g.fW, g.inC, g.outC],
        strides: [g.sH, g.sW],
        pad,
        dataFormat: g.nchw ? 'NCHW' : 'NHWC',
      };
      let out: Shape4;
      try {
        out = dyShape(c);
      } catch {
        return; // a geometry tfjs itself refuses
      }
      if (out.some((d) => d <= 0)) return; // the filter does not fit: no convolution to differentiate
      const size = (s: number[]) => s.reduce((p, v) => p * v, 1);
      const xv = values(size(c.x), `px-${g.seed}`);
      const dyv = values(size(out), `pdy-${g.seed}`, 0.1);
      const cpu = await backpropFilterOn('cpu', c, xv, dyv);
      const wasm = await backpropFilterOn('wasm', c, xv, dyv);
      assert.deepEqual(bits(wasm), bits(cpu), JSON.stringify(g));
      compared++;
    }),
    { numRuns: 60, seed: 20261127 },
  );
  assert.ok(compared >= 30, `only ${compared} of 60 random geometries were valid convolutions`);
});

test('dilations (not used by tfjs gradients today) follow the convolution definition', async () => {
  const { conv2DBackpropFilterInto } = await import('../../packages/core/src/tfjs/wasm-conv2d-backprop-filter.js');
  const [batch, h, w, inC, outC, fH, fW, dil] = [2, 9, 8, 2, 3, 3, 2, 2];
  const info = tf.backend_util.computeConv2DInfo(
    [batch, h, w, inC],
    [fH, fW, inC, outC],
    1,
    dil,
    'valid',
    undefined,
    false,
    'channelsLast',
  );
  const x = values(batch * h * w * inC, 'dil-x');
  const dy = values(size4(info.outShape), 'dil-dy', 0);
  const got = new Float32Array(fH * fW * inC * outC);
  conv2DBackpropFilterInto(got, x, dy, info);
  // dW[r,c,i,o] = sum over b, y, z of x[b, y + r*dil, z + c*dil, i] * dy[b, y, z, o]
  for (let r = 0; r < fH; ++r)
    for (let c = 0; c < fW; ++c)
      for (let i = 0; i < inC; ++i)
        for (let o = 0; o < outC; ++o) {
          let sum = 0;
          for (let b = 0; b < batch; ++b)
            for (let y = 0; y < info.outHeight; ++y)
              for (let z = 0; z < info.outWidth; ++z) {
                sum +=
                  x[((b * h + y + r * dil) * w + z + c * dil) * inC + i]! *
                  dy[((b * info.outHeight + y) * info.outWidth + z) * outC + o]!;
              }
          assert.equal(got[((r * fW + c) * inC + i) * outC + o], Math.fround(sum));
        }
});

function size4(s: number[]): number {
  return s.reduce((p, v) => p * v, 1);
}
