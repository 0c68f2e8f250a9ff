import { isAbsolute, posix } from 'node:path';
import { UsageError } from '../errors.js';

/** The files of a Sacred run folder: an artifact may never replace one. */
export const RUN_FILE_NAMES: readonly string[] = ['config.json', 'run.json', 'cout.txt', 'metrics.json', 'info.json'];

/**
 * ritual's own folder inside a run folder (metrics log, temp files). Refused
 * here, before any observer sees the name: the file observer cannot store it,
 * so letting it through would drop that observer for the rest of the run.
 */
export const RESERVED_RUN_DIR = '.ritual';

/**
 * Check an artifact name and return it normalised (`/` separators). The rule
 * is the same for every backend, so that a run stored in a folder and in
 * MongoDB has the same artifacts: relative, inside the run, not one of the
 * run's own files, not inside ritual's own folder. Checked by the Run before any observer sees the name.
 */
export function normaliseArtifactName(name: string): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new UsageError(
      'An artifact needs a non-empty name, e.g. run.addArtifact("model.json") or addArtifact(path, "model/model.json").',
    );
  }
  const slashed = name.replaceAll('\\', '/');
  if (isAbsolute(name) || slashed.startsWith('/') || /^[a-zA-Z]:/.test(slashed)) {
    throw new UsageError(
      `Artifact name ${JSON.stringify(name)} is an absolute path; give a name relative to the run folder, e.g. "model/model.json".`,
    );
  }
  const normalised = posix.normalize(slashed);
  if (normalised === '..' || normalised.startsWith('../') || normalised === '.' || normalised.endsWith('/')) {
    throw new UsageError(
      `Artifact name ${JSON.stringify(name)} would be stored outside the run folder; use a plain relative name such as "model/model.json".`,
    );
  }
  if (RUN_FILE_NAMES.includes(normalised)) {
    throw new UsageError(
      `Artifact name ${JSON.stringify(name)} would overwrite the run's own ${normalised}; pick another name (reserved: ${RUN_FILE_NAMES.join(', ')}).`,
    );
  }
  // Case-insensitive: on macOS and Windows `.Ritual/x` is the same folder.
  const lower = normalised.toLowerCase();
  if (lower === RESERVED_RUN_DIR || lower.startsWith(`${RESERVED_RUN_DIR}/`)) {
    throw new UsageError(
      `Artifact name ${JSON.stringify(name)} is inside ${RESERVED_RUN_DIR}/, which ritual keeps for its own files; ` +
        'pick another name, e.g. "model/model.json".',
    );
  }
  return normalised;
}
