import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isConfigFileName } from '../config/file.js';
import { hostNativeSettings, nativeDifferences, type NativeTensorflowInfo } from './native-tensorflow.js';

/**
 * A replay (`with runs/N/config.json`) of a run trained on tfjs-node: the
 * stored run's `info.json` (next to its config.json) says which native
 * settings produced its numbers. When this host's differ, the numbers will
 * too, so the run says so before training, one line per difference. Silent
 * when the file is not a stored run's, or that run was not on tfjs-node.
 */
export function replayNativeWarnings(requested: readonly string[]): string[] {
  const warnings: string[] = [];
  for (const word of requested) {
    if (!isConfigFileName(word) || !existsSync(word) || !statSync(word).isFile()) continue;
    const infoFile = path.join(path.dirname(word), 'info.json');
    let recorded: Partial<NativeTensorflowInfo> | undefined;
    try {
      const info = JSON.parse(readFileSync(infoFile, 'utf8')) as {
        reproducibility?: { tfjs?: { native?: Partial<NativeTensorflowInfo> } | null };
      };
      recorded = info.reproducibility?.tfjs?.native;
    } catch {
      continue; // not a stored run's config (or its info.json is unreadable): nothing to compare with
    }
    if (recorded === undefined) continue;
    for (const difference of nativeDifferences(recorded, hostNativeSettings())) {
      warnings.push(`${word} was trained on tfjs-node with other native settings, results will differ: ${difference}`);
    }
  }
  return warnings;
}
