/**
 * Batch values that the fit callback holds as tensors, then reads back from
 * the backend together. tfjs reads each batch's loss and accuracy back one by
 * one before it calls a plain-object callback; on tfjs-node that cost the
 * example's training about 1 % against no callback at all, while holding the
 * tensors and reading them back once a second cost nothing measurable
 * (bench/RESULTS.md, 2026-12-05). Each value keeps the step and the time of
 * its batch, so the stored points are the same as if read at once.
 */
import type { ScalarTensorLike, TfjsCallbackNamespaceLike } from './tfjs-types.js';

/** Where read-back values go: `run.logScalar`, which takes the batch's time as its fourth argument. */
export interface TimedScalarSink {
  logScalar(name: string, value: number, step?: number, timestamp?: number): void;
}

export class HeldBatchValues {
  private names: string[] = [];
  private tensors: ScalarTensorLike[] = [];
  private steps: number[] = [];
  private times: number[] = [];

  constructor(private readonly tf: TfjsCallbackNamespaceLike) {}

  /** Values held, not yet read back. */
  get size(): number {
    return this.tensors.length;
  }

  /** Keep `tensor` (tfjs disposes its own after the batch's callbacks) until `release`. */
  hold(name: string, tensor: ScalarTensorLike, step: number, time: number): void {
    this.names.push(name);
    this.tensors.push(this.tf.clone(tensor as never));
    this.steps.push(step);
    this.times.push(time);
  }

  /** Read every held value back and log it, in the order held; the tensors are let go even if reading fails. */
  release(sink: TimedScalarSink): void {
    if (this.tensors.length === 0) return;
    const { names, tensors, steps, times } = this;
    this.names = [];
    this.tensors = [];
    this.steps = [];
    this.times = [];
    try {
      const values = this.readAll(tensors);
      for (let i = 0; i < values.length; i++) sink.logScalar(names[i]!, values[i]!, steps[i], times[i]);
    } finally {
      for (const tensor of tensors) tensor.dispose();
    }
  }

  /** One `stack` and one read when all are scalars of one type (a training's loss and accuracy are); else one each. */
  private readAll(tensors: ScalarTensorLike[]): number[] {
    const dtype = tensors[0]!.dtype;
    if (tensors.every((tensor) => tensor.rank === 0 && tensor.dtype === dtype)) {
      const stacked = this.tf.stack(tensors as never);
      try {
        return Array.from(stacked.dataSync());
      } finally {
        stacked.dispose();
      }
    }
    return tensors.map((tensor) => tensor.dataSync()[0]!);
  }
}
