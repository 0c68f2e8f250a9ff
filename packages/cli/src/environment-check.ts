/**
 * What a run's numbers depend on besides its code, config and seed, checked
 * against this machine before it is run again: npm dependency versions (as
 * the rebuilt code resolves them), the Node version, the tfjs core and
 * backend package versions (`info.reproducibility`), and the md5 of every
 * resource the run read. The backend actually chosen and its flags are only
 * known once the run has started; reproduce.ts compares those afterwards.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunStore, StoredRun } from '@ritual/observers';
import { streamMd5 } from './artifact-digest.js';
import { RebuildError } from './rebuild-error.js';

export interface EnvironmentDifference {
  /** What differs: `node`, `dependency mnist`, `tfjs`, `resource /data/x.csv`. */
  item: string;
  recorded: string;
  here: string;
}

/** `tfjs` of `info.reproducibility`, as core records it. */
interface RecordedTfjs {
  version?: string | null;
  backend_package?: string | null;
}

export async function checkEnvironment(
  store: RunStore,
  run: StoredRun,
  scratch: string,
): Promise<EnvironmentDifference[]> {
  const differences: EnvironmentDifference[] = [];
  const recordedNode = run.host?.node_version;
  if (typeof recordedNode === 'string' && recordedNode.replace(/^v/, '') !== process.versions.node) {
    differences.push({ item: 'node', recorded: recordedNode, here: process.versions.node });
  }
  const missing: string[] = [];
  const imported = new Set(run.experiment.dependencies);
  // tfjs-core and the backend are loaded through other packages (or chosen at run time): a difference, not a refusal.
  for (const spec of new Set([...imported, ...tfjsPackages(run)])) {
    const [name, recorded] = spec.split('==') as [string, string | undefined];
    const here = await installedVersion(scratch, name);
    if (here === null && imported.has(spec)) missing.push(recorded ? `${name}@${recorded}` : name);
    else if (recorded !== undefined && recorded !== here)
      differences.push({ item: `dependency ${name}`, recorded, here: here ?? 'not installed' });
  }
  if (missing.length > 0) {
    throw new RebuildError(
      `The run depends on ${missing.join(', ')}, not installed where its code resolves packages from: npm ` +
        `install ${missing.join(' ')} in your project (or pass --project DIR).`,
    );
  }
  for (const [resource, copy] of run.resources) {
    const recorded = await streamMd5(await store.openStoredFile(copy));
    const here = await streamMd5(createReadStream(resource)).catch(() => null);
    if (here !== recorded)
      differences.push({
        item: `resource ${resource}`,
        recorded: `md5 ${recorded}`,
        here: here === null ? 'missing' : `md5 ${here}`,
      });
  }
  return differences;
}

/** tfjs-core and the backend package, as `name==version`, from what the run recorded. */
function tfjsPackages(run: StoredRun): string[] {
  const tfjs = (run.info?.reproducibility as { tfjs?: RecordedTfjs | null } | undefined)?.tfjs;
  if (!tfjs) return [];
  return [
    ...(typeof tfjs.version === 'string' ? [`@tensorflow/tfjs-core==${tfjs.version}`] : []),
    ...(typeof tfjs.backend_package === 'string' ? [tfjs.backend_package] : []),
  ];
}

async function installedVersion(scratch: string, name: string): Promise<string | null> {
  try {
    const manifest = JSON.parse(
      await readFile(path.join(scratch, 'node_modules', ...name.split('/'), 'package.json'), 'utf8'),
    ) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : null;
  } catch {
    return null;
  }
}

export function formatDifference(difference: EnvironmentDifference): string {
  return `${difference.item}: ${difference.recorded} recorded, ${difference.here} here`;
}
