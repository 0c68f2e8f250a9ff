/**
 * The few parts of TensorFlow.js that ritual's integration touches, written
 * as structural types. `@tensorflow/tfjs-core` is only an optional peer of
 * @ritual/core: nothing here imports it, not even for types, so the package
 * type-checks and loads without tfjs, and any tfjs 4.x namespace (tfjs,
 * tfjs-node, tfjs-core + a backend) fits these shapes. Methods use method
 * syntax on purpose: their parameters are then checked bivariantly, which is
 * what lets tfjs's richer signatures satisfy these narrow ones.
 */

export type TypedArrayLike = Float32Array | Int32Array | Uint8Array;

/** What a kernel receives for each input and returns (tfjs `TensorInfo`). */
export interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}

/** tfjs-core's `Conv2DInfo`, the fields a backward-filter kernel needs. */
export interface Conv2DInfoLike {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  dataFormat: 'channelsFirst' | 'channelsLast';
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  filterHeight: number;
  filterWidth: number;
  padInfo: { top: number; left: number; bottom: number; right: number };
  filterShape: [number, number, number, number];
}

export interface KernelConfigLike {
  kernelName: string;
  backendName: string;
  kernelFunc(args: {
    inputs: Record<string, TensorInfoLike>;
    backend: unknown;
    attrs?: Record<string, unknown>;
  }): TensorInfoLike;
}

/** The tfjs namespace as far as ritual uses it (`import * as tf from '@tensorflow/tfjs'`). */
export interface TfjsLike {
  version?: Record<string, string>;
  version_core?: string;
  getBackend(): string | null | undefined;
  env(): { getFlags(): Record<string, unknown>; get?(name: string): unknown };
  getKernel(kernelName: string, backendName: string): unknown;
  /**
   * Typed `never` on purpose: tfjs's KernelConfig is stricter (DataType
   * unions, array returns) than any structural copy could match both ways;
   * callers build a KernelConfigLike and pass it with `as never`.
   */
  registerKernel(config: never): void;
  backend_util: {
    computeConv2DInfo(
      inShape: [number, number, number, number],
      filterShape: [number, number, number, number],
      strides: number | [number, number],
      dilations: number | [number, number],
      pad: unknown,
      roundingMode?: 'floor' | 'round' | 'ceil',
      depthwise?: boolean,
      dataFormat?: 'channelsFirst' | 'channelsLast',
    ): Conv2DInfoLike;
    convertConv2DDataFormat(dataFormat: 'NHWC' | 'NCHW'): 'channelsLast' | 'channelsFirst';
  };
}

/** The tfjs IOHandler contract (tf.io.IOHandler), reduced to what saving and loading use. */
export interface ModelArtifactsLike {
  modelTopology?: unknown;
  weightSpecs?: unknown[];
  weightData?: ArrayBuffer | ArrayBuffer[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: unknown;
  signature?: unknown;
  userDefinedMetadata?: unknown;
  modelInitializer?: unknown;
  initializerSignature?: unknown;
}

export interface SaveResultLike {
  modelArtifactsInfo: {
    dateSaved: Date;
    modelTopologyType: 'JSON' | 'GraphDef';
    modelTopologyBytes?: number;
    weightSpecsBytes?: number;
    weightDataBytes?: number;
  };
}

export interface IOHandlerLike {
  save?(modelArtifacts: ModelArtifactsLike): Promise<SaveResultLike>;
  load?(): Promise<ModelArtifactsLike>;
}

/**
 * A tfjs LayersModel as far as saving goes. The handler parameter is `never`
 * for the same reason as `registerKernel`'s: ritual passes an IOHandlerLike.
 */
export interface SavableModelLike {
  save(handler: never, config?: never): Promise<unknown>;
}

/** The part of the tfjs namespace that loads a layers model (handler: an IOHandlerLike). */
export interface TfjsModelLoaderLike {
  loadLayersModel(handler: never, options?: never): Promise<unknown>;
}

/** A tensor as the fit callback handles one: a batch's loss or accuracy (a scalar), or an epoch's. */
export interface ScalarTensorLike {
  readonly rank: number;
  readonly dtype: string;
  dataSync(): ArrayLike<number>;
  dispose(): void;
}

/**
 * The part of the tfjs namespace the fit callback uses when it is given one:
 * `tf.Callback` to extend (tfjs hands a `tf.Callback` the batch's values as
 * tensors, unread), `clone` to keep one past the batch (tfjs disposes them
 * after the callbacks ran; a clone only counts a reference), and `stack` to
 * read many back at once.
 */
export interface TfjsCallbackNamespaceLike {
  Callback: abstract new () => object;
  clone(tensor: never): ScalarTensorLike;
  stack(tensors: never): ScalarTensorLike;
}
