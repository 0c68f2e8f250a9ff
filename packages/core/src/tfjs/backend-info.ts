/**
 * What a tfjs result depends on, for the run record: the tfjs version, the
 * active backend and its flags. The same seed gives different (each
 * repeatable) numbers on cpu, wasm and tfjs-node, and wasm with or without
 * SIMD/threads can differ again, so a replay needs all of these.
 */
import type { JsonObject, JsonValue } from '../run-record.js';
import { UsageError } from '../errors.js';
import type { TfjsLike } from './tfjs-types.js';

export interface TfjsBackendInfo extends JsonObject {
  /** The tfjs version (of the union package when loaded, else tfjs-core). */
  version: string;
  /** Every tfjs package version tfjs reports, e.g. { 'tfjs-core': '4.22.0', 'tfjs-node': '4.22.0' }. */
  versions: { [pkg: string]: string };
  /** 'wasm', 'cpu', 'tensorflow' (tfjs-node), 'webgl'...; null before a backend is ready. */
  backend: string | null;
  /** Every flag tfjs has evaluated so far (WASM_HAS_SIMD_SUPPORT, WASM_HAS_MULTITHREAD_SUPPORT, ...). */
  flags: { [flag: string]: JsonValue };
}

/** The wasm flags that change which binary runs, asked for by name when the wasm backend is active. */
const WASM_FLAGS = ['WASM_HAS_SIMD_SUPPORT', 'WASM_HAS_MULTITHREAD_SUPPORT'] as const;

/**
 * Describes the tfjs that `tf` is. Call it after `await tf.ready()` (or
 * `tf.setBackend`): before that the backend is not chosen yet.
 */
export function describeTfjs(tf: TfjsLike): TfjsBackendInfo {
  if (typeof tf?.env !== 'function' || typeof tf.getBackend !== 'function') {
    throw new UsageError('describeTfjs(tf) needs the tfjs namespace: import * as tf from "@tensorflow/tfjs" and pass tf.');
  }
  const versions: { [pkg: string]: string } = {};
  for (const [pkg, v] of Object.entries(tf.version ?? {})) if (typeof v === 'string') versions[pkg] = v;
  const version = versions['tfjs'] ?? versions['tfjs-node'] ?? versions['tfjs-core'] ?? tf.version_core ?? 'unknown';

  const backend = tf.getBackend() ?? null;
  const env = tf.env();
  const flags: { [flag: string]: JsonValue } = {};
  for (const [flag, value] of Object.entries(env.getFlags())) {
    if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') flags[flag] = value;
  }
  if (backend === 'wasm' && typeof env.get === 'function') {
    for (const flag of WASM_FLAGS) {
      if (flag in flags) continue;
      try {
        const value = env.get(flag);
        if (typeof value === 'boolean') flags[flag] = value;
      } catch {
        // Not registered in this tfjs version: nothing to record.
      }
    }
  }
  return { version, versions, backend, flags };
}
