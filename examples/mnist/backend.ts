/**
 * Picks the fastest TensorFlow.js backend that is installed:
 * tfjs-node (native TensorFlow; `npm install @tensorflow/tfjs-node`, or
 * `npm run setup:tfjs-node` in this repository), else
 * wasm (`@tensorflow/tfjs-backend-wasm`, about 20x faster than cpu here; its
 * missing Conv2DBackpropFilter kernel is registered by @ritual/core), else
 * the pure-JS cpu backend. `backend=cpu|wasm|tfjs-node` forces one.
 *
 * Note for reproducibility: each backend gives different (each repeatable)
 * numbers, so the backend actually used is recorded in the run.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { MissingDependencyError, UsageError, registerWasmConv2DBackpropFilter } from '@ritual/core';

export const CHOICES = ['auto', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof CHOICES)[number];

export interface LoadedTfjs {
  tf: typeof tfjs;
  /** tfjs's name of the active backend: 'tensorflow' (tfjs-node), 'wasm' or 'cpu'. */
  backend: string;
}

// Held in variables so TypeScript does not require the optional packages to be installed.
const TFJS_NODE = '@tensorflow/tfjs-node';
const TFJS_WASM = '@tensorflow/tfjs-backend-wasm';

export async function loadTfjs(choice: string = 'auto'): Promise<LoadedTfjs> {
  if (!CHOICES.includes(choice as BackendChoice)) {
    throw new UsageError(
      `backend must be one of ${CHOICES.join(', ')}; got ${JSON.stringify(choice)}. Try: with backend=wasm`,
    );
  }
  if (choice === 'auto' || choice === 'tfjs-node') {
    try {
      const tf = (await import(TFJS_NODE)) as typeof tfjs;
      await tf.ready();
      return { tf, backend: tf.getBackend() };
    } catch (error) {
      if (choice === 'tfjs-node')
        throw new MissingDependencyError(
          TFJS_NODE,
          'for backend=tfjs-node (where libtensorflow cannot be downloaded, `npm run setup:tfjs-node` provisions it)',
          { cause: error },
        );
    }
  }
  const tf = await import('@tensorflow/tfjs');
  if (choice === 'auto' || choice === 'wasm') {
    try {
      await import(TFJS_WASM);
      registerWasmConv2DBackpropFilter(tf);
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return { tf, backend: tf.getBackend() };
      }
    } catch (error) {
      if (choice === 'wasm') throw new MissingDependencyError(TFJS_WASM, 'for backend=wasm', { cause: error });
    }
    if (choice === 'wasm') throw new MissingDependencyError(TFJS_WASM, 'for backend=wasm (it failed to initialise)');
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, backend: tf.getBackend() };
}
