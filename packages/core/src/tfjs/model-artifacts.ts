/**
 * Saving a tfjs model as artifacts of a run, and loading it back.
 *
 * The files are tfjs's own format (what `model.save('file://dir')` writes):
 * `<name>/model.json` with the topology and a weights manifest, and
 * `<name>/weights.bin` with every weight, so a stored model also loads with
 * plain `tf.loadLayersModel` from a copy of the folder. No tfjs import: the
 * model's own `save(handler)` hands us its artifacts.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { UsageError } from '../errors.js';
import type { JsonObject, RunId } from '../run/run-record.js';
import type {
  IOHandlerLike,
  ModelArtifactsLike,
  SavableModelLike,
  SaveResultLike,
  TfjsModelLoaderLike,
} from './tfjs-types.js';
import { errorMessage } from '../error-message.js';

/** Where a model is saved: a Run, or anything with its `addArtifact`. */
export interface ArtifactSink {
  addArtifact(path: string, name?: string, options?: { contentType?: string; metadata?: JsonObject }): Promise<void>;
}

/** Where a model is loaded from: a RunStore of @ritual/observers (folder or MongoDB). */
export interface ArtifactSource {
  openArtifact(id: RunId, name: string): Promise<NodeJS.ReadableStream>;
}

const WEIGHTS_FILE = 'weights.bin';

/** tfjs's model.json: the artifacts' metadata, with the weights described by a manifest instead of inline. */
type ModelJson = Omit<ModelArtifactsLike, 'weightSpecs' | 'weightData'> & {
  modelTopology: unknown;
  weightsManifest: Array<{ paths: string[]; weights: unknown[] }>;
};

export interface SaveModelOptions {
  /**
   * Also store the optimizer's config and state (tfjs's `includeOptimizer`),
   * so the loaded model comes back compiled and can resume training. Off by
   * default, as in tfjs: Adam's state doubles the size of the weights.
   */
  includeOptimizer?: boolean;
}

/**
 * Saves `model` as the artifacts `<name>/model.json` and `<name>/weights.bin`
 * of the run; resolves once every observer stored them. Returns the artifact
 * names.
 */
export async function saveModel(
  sink: ArtifactSink,
  model: SavableModelLike,
  name = 'model',
  options: SaveModelOptions = {},
): Promise<string[]> {
  if (typeof sink?.addArtifact !== 'function') {
    throw new UsageError(
      'saveModel(sink, model) needs an object with addArtifact(path, name), such as the run passed to your main function.',
    );
  }
  if (typeof model?.save !== 'function') {
    throw new UsageError('saveModel(sink, model): model must be a tfjs model (it has no save method).');
  }
  checkName(name);
  const dir = await mkdtemp(join(tmpdir(), 'ritual-model-'));
  try {
    let written: { json: string; weights: Uint8Array; bytes: number } | undefined;
    const handler: IOHandlerLike = {
      async save(artifacts: ModelArtifactsLike): Promise<SaveResultLike> {
        const weights = concatWeights(artifacts.weightData);
        const json: ModelJson = {
          ...pickDefined(artifacts, [
            'format',
            'generatedBy',
            'convertedBy',
            'trainingConfig',
            'signature',
            'userDefinedMetadata',
            'modelInitializer',
            'initializerSignature',
          ]),
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        };
        written = { json: JSON.stringify(json), weights, bytes: weights.byteLength };
        return {
          modelArtifactsInfo: {
            dateSaved: new Date(),
            modelTopologyType: 'JSON',
            modelTopologyBytes: JSON.stringify(artifacts.modelTopology ?? null).length,
            weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
            weightDataBytes: weights.byteLength,
          },
        };
      },
    };
    await model.save(handler as never, { includeOptimizer: options.includeOptimizer === true } as never);
    if (written === undefined)
      throw new UsageError('saveModel: the model did not call the save handler; pass a tfjs LayersModel.');
    const jsonPath = join(dir, 'model.json');
    const weightsPath = join(dir, WEIGHTS_FILE);
    await writeFile(jsonPath, written.json);
    await writeFile(weightsPath, written.weights);
    const names = [`${name}/model.json`, `${name}/${WEIGHTS_FILE}`];
    await sink.addArtifact(jsonPath, names[0], { contentType: 'application/json', metadata: { tfjsModel: name } });
    await sink.addArtifact(weightsPath, names[1], {
      contentType: 'application/octet-stream',
      metadata: { tfjsModel: name, bytes: written.bytes },
    });
    return names;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Loads a model saved by `saveModel`:
 * - `loadModel(tf, 'runs/3')`: from a run folder of a file store;
 * - `loadModel(tf, 'runs', 3)`: the same, given the store folder and run id;
 * - `loadModel(tf, store, 3)`: from any RunStore (`openStore('mongodb://…')`).
 */
export async function loadModel<M = unknown>(
  tf: TfjsModelLoaderLike,
  source: ArtifactSource | string,
  runId?: RunId,
  name = 'model',
): Promise<M> {
  if (typeof tf?.loadLayersModel !== 'function') {
    throw new UsageError(
      'loadModel(tf, ...) needs the tfjs namespace: import * as tf from "@tensorflow/tfjs" and pass tf.',
    );
  }
  checkName(name);
  const read = artifactReader(source, runId);
  const modelJson = JSON.parse((await read(`${name}/model.json`)).toString('utf8')) as ModelJson;
  if (!Array.isArray(modelJson.weightsManifest)) {
    throw new UsageError(`${name}/model.json is not a tfjs layers model (no weightsManifest).`);
  }
  const weightSpecs: unknown[] = [];
  const chunks: Buffer[] = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const path of group.paths) chunks.push(await read(posix.join(name, path)));
  }
  const weightData = toArrayBuffer(Buffer.concat(chunks));
  const { weightsManifest: _manifest, ...rest } = modelJson;
  const handler: IOHandlerLike = { load: async () => ({ ...rest, weightSpecs, weightData }) };
  return (await tf.loadLayersModel(handler as never)) as M;
}

function artifactReader(source: ArtifactSource | string, runId: RunId | undefined): (name: string) => Promise<Buffer> {
  if (typeof source === 'string') {
    const runDir = runId === undefined ? source : join(source, String(runId));
    return async (name) => {
      try {
        return await readFile(join(runDir, ...name.split('/')));
      } catch (error) {
        throw new UsageError(
          `Cannot read artifact ${name} of the run in ${runDir}: ${errorMessage(error)}. Was the model saved with run.saveModel(model, '${name.split('/')[0]}')?`,
          { cause: error },
        );
      }
    };
  }
  if (typeof source?.openArtifact !== 'function') {
    throw new UsageError('loadModel(tf, source): source must be a run folder path or a run store (with openArtifact).');
  }
  if (runId === undefined)
    throw new UsageError('loadModel(tf, store, runId): give the id of the run that saved the model.');
  return async (name) => streamToBuffer(await source.openArtifact(runId, name));
}

async function streamToBuffer(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** tfjs hands weights as one ArrayBuffer or (sharded models) a list of them. */
function concatWeights(data: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (!Array.isArray(data)) return new Uint8Array(data);
  return Buffer.concat(data.map((b) => new Uint8Array(b)));
}

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  const out = new ArrayBuffer(buf.byteLength);
  new Uint8Array(out).set(buf);
  return out;
}

function pickDefined<T extends object, K extends keyof T>(obj: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined && obj[k] !== null) out[k] = obj[k];
  return out;
}

function checkName(name: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('..') || name.startsWith('/') || name.includes('\\')) {
    throw new UsageError(
      `Model name ${JSON.stringify(name)} is not usable as an artifact folder: use letters, digits, '-', '_' or '/'.`,
    );
  }
}
