/**
 * The `Conv2DBackpropFilter` kernel for tfjs's wasm backend, which ships
 * without it (tfjs issue 8474): without it a conv net cannot train on wasm
 * ("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'").
 *
 * The gradient is computed in JavaScript straight from the wasm heap. It
 * gives the same Float32 bits as tfjs-backend-cpu's kernel: every filter
 * entry is a sum of x*dy products, accumulated in a float64 in the order
 * batch -> output row -> output column and rounded to float32 once at the
 * end, exactly as the cpu backend sums. Products of two float32 values are
 * exact in float64, so equal order means equal bits. Shapes, padding
 * ('same', 'valid', a number, explicit) and rounding come from tfjs's own
 * `computeConv2DInfo`, so every attribute means what it means in tfjs.
 */
import { UsageError } from '../errors.js';
import type { Conv2DInfoLike, KernelConfigLike, TensorInfoLike, TfjsLike, TypedArrayLike } from './tfjs-types.js';

const KERNEL_NAME = 'Conv2DBackpropFilter';
const BACKEND_NAME = 'wasm';

/** The two methods of tfjs-backend-wasm's BackendWasm that a JS kernel needs. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: string): TensorInfoLike;
  typedArrayFromHeap(info: TensorInfoLike): TypedArrayLike;
}

interface BackpropFilterAttrs {
  strides: number | [number, number];
  pad: unknown;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
  /** Not a tfjs attribute today (its conv2d gradient refuses dilations > 1); honoured if a caller passes it. */
  dilations?: number | [number, number];
}

/**
 * Registers the kernel for the 'wasm' backend of the given tfjs namespace.
 * Safe to call any number of times, before or after `tf.setBackend('wasm')`;
 * it never replaces a kernel that is already registered (a future tfjs that
 * ships its own keeps it). Returns true when this call registered it.
 */
export function registerWasmConv2DBackpropFilter(tf: TfjsLike): boolean {
  if (typeof tf?.registerKernel !== 'function' || typeof tf.getKernel !== 'function' || tf.backend_util === undefined) {
    throw new UsageError(
      'registerWasmConv2DBackpropFilter(tf) needs the tfjs namespace: import * as tf from "@tensorflow/tfjs" and pass tf.',
    );
  }
  if (tf.getKernel(KERNEL_NAME, BACKEND_NAME) !== undefined) return false;
  const config: KernelConfigLike = {
    kernelName: KERNEL_NAME,
    backendName: BACKEND_NAME,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs;
      if (x === undefined || dy === undefined) throw new UsageError(`${KERNEL_NAME} needs inputs x and dy.`);
      const a = attrs as unknown as BackpropFilterAttrs;
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        a.filterShape,
        a.strides,
        a.dilations ?? 1,
        a.pad,
        a.dimRoundingMode,
        false,
        tf.backend_util.convertConv2DDataFormat(a.dataFormat ?? 'NHWC'),
      );
      const wasm = backend as WasmBackendLike;
      // Allocate first: makeOutput may grow the wasm heap, which detaches
      // earlier views of it.
      const out = wasm.makeOutput(info.filterShape, 'float32');
      const dW = wasm.typedArrayFromHeap(out);
      conv2DBackpropFilterInto(dW, wasm.typedArrayFromHeap(x), wasm.typedArrayFromHeap(dy), info);
      return out;
    },
  };
  tf.registerKernel(config as never);
  return true;
}

/**
 * Fills `dW` ([filterHeight, filterWidth, inChannels, outChannels]) with the
 * gradient of a 2-D convolution with respect to its filter. Exported for the
 * bit-for-bit tests; backend-independent.
 */
export function conv2DBackpropFilterInto(
  dW: TypedArrayLike,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  info: Conv2DInfoLike,
): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, filterHeight, filterWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const channelsLast = info.dataFormat === 'channelsLast';

  // Element strides of x and dy along batch, row, column and channel, in
  // either layout; plain locals so the hot loop does no property lookups.
  const xBatch = inHeight * inWidth * inChannels;
  const xRow = channelsLast ? inWidth * inChannels : inWidth;
  const xCol = channelsLast ? inChannels : 1;
  const xChan = channelsLast ? 1 : inHeight * inWidth;
  const yBatch = outHeight * outWidth * outChannels;
  const yRow = channelsLast ? outWidth * outChannels : outWidth;
  const yCol = channelsLast ? outChannels : 1;
  const yChan = channelsLast ? 1 : outHeight * outWidth;
  const xStep = strideWidth * xCol;

  // Skipping x == 0 terms (most MNIST pixels, every ReLU zero) is exact only
  // when dy is finite: 0 * Infinity is NaN, and a float64 accumulator that
  // starts at +0 is never -0, so adding a signed zero is otherwise a no-op.
  const skipZeros = allFinite(dy);
  // One float64 accumulator per (inChannel, outChannel) pair of the current filter tap.
  const acc = new Float64Array(inChannels * outChannels);

  for (let wR = 0; wR < filterHeight; ++wR) {
    const rowOffset = wR * dilationHeight - top;
    // Output rows whose input row yR*stride + rowOffset lies inside x.
    const yRMin = Math.max(0, Math.ceil(-rowOffset / strideHeight));
    const yREnd = Math.min(outHeight, Math.ceil((inHeight - rowOffset) / strideHeight));
    for (let wC = 0; wC < filterWidth; ++wC) {
      const colOffset = wC * dilationWidth - left;
      const yCMin = Math.max(0, Math.ceil(-colOffset / strideWidth));
      const yCEnd = Math.min(outWidth, Math.ceil((inWidth - colOffset) / strideWidth));
      acc.fill(0);
      // Summation order per accumulator: batch, output row, output column,
      // the order of tfjs-backend-cpu, which is what makes the bits equal.
      for (let b = 0; b < batchSize; ++b) {
        for (let yR = yRMin; yR < yREnd; ++yR) {
          let xi = b * xBatch + (yR * strideHeight + rowOffset) * xRow + (yCMin * strideWidth + colOffset) * xCol;
          let yi = b * yBatch + yR * yRow + yCMin * yCol;
          for (let yC = yCMin; yC < yCEnd; ++yC, xi += xStep, yi += yCol) {
            for (let d1 = 0; d1 < inChannels; ++d1) {
              const xv = x[xi + d1 * xChan] as number;
              if (xv === 0 && skipZeros) continue;
              let a = d1 * outChannels;
              let yj = yi;
              for (let d2 = 0; d2 < outChannels; ++d2, ++a, yj += yChan) {
                acc[a]! += xv * (dy[yj] as number);
              }
            }
          }
        }
      }
      const outBase = (wR * filterWidth + wC) * inChannels * outChannels;
      for (let i = 0; i < acc.length; ++i) dW[outBase + i] = acc[i] as number;
    }
  }
}

function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; ++i) {
    if (!Number.isFinite(values[i] as number)) return false;
  }
  return true;
}
