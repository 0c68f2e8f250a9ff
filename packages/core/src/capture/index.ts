import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import type { ExperimentInfo, HostInfo, RepositoryInfo, SourceFile } from '../run/run-record.js';
import { collectDependencies } from './dependencies.js';
import { captureRepositories, findRepositoryRoot, GitSnapshots } from './git.js';
import { captureHost } from './host.js';
import { collectSources, defaultBaseDir } from './sources.js';
import { errorMessage } from '../error-message.js';

/**
 * Everything a run records about where it ran, gathered once at run start.
 * The providers run in parallel (dependencies and git need the sources, so
 * they follow them; the host probe overlaps all of it). A provider that fails
 * becomes one warning and an empty field: capture never fails a run, except
 * `enforceClean` (`-e`), which refuses to run from uncommitted changes.
 */
export { captureHost } from './host.js';
export { collectSources, defaultBaseDir, isSecretFile } from './sources.js';
export { captureRepositories, stripCredentials, NO_REMOTE, NO_COMMIT } from './git.js';
export { collectDependencies, UNKNOWN_VERSION } from './dependencies.js';
export { startOutputCapture, type OutputCapture, type CaptureMode } from './output.js';
export { relaunchForFdCapture } from './fd-relay.js';
export { describeReproducibility, type ReproducibilityInfo } from './reproducibility.js';

export interface RunContextOptions {
  mainFile: string;
  /** Defaults to defaultBaseDir(mainFile). */
  baseDir?: string;
  /** From `ex.addSourceFile(path)`: captured even if secret-looking or git-ignored. */
  extraSources: readonly string[];
  /** From `ex.addPackageDependency(name, version)`. */
  extraDependencies: ReadonlyMap<string, string>;
  envAllowList: readonly string[];
  enforceClean: boolean;
}

export interface RunContext {
  experiment: Omit<ExperimentInfo, 'name'>;
  host: HostInfo;
  warnings: string[];
}

function fallbackHost(): HostInfo {
  return {
    hostname: 'unknown',
    os: [process.platform, 'unknown'],
    node_version: process.versions.node,
    cpu: 'unknown',
    ENV: {},
  };
}

export async function captureRunContext(options: RunContextOptions): Promise<RunContext> {
  const warnings: string[] = [];
  const mainFile = path.resolve(
    options.mainFile.startsWith('file:') ? fileURLToPath(options.mainFile) : options.mainFile,
  );
  const baseDir = path.resolve(options.baseDir ?? defaultBaseDir(mainFile));

  // A missing explicit source is reported and skipped rather than losing all sources.
  const extraSources = options.extraSources.filter((file) => {
    if (statSync(path.resolve(file), { throwIfNoEntry: false })?.isFile()) return true;
    warnings.push(`Source file ${path.resolve(file)} (added with addSourceFile) does not exist and was not recorded.`);
    return false;
  });

  const hostPromise = captureHost({ envAllowList: options.envAllowList }).catch((error: unknown) => {
    warnings.push(`Host information was not recorded: ${errorMessage(error)}`);
    return fallbackHost();
  });

  // Start git on the main file's repository now, so it overlaps reading the sources.
  const snapshots = new GitSnapshots();
  const mainRoot = findRepositoryRoot(path.dirname(mainFile));
  if (mainRoot !== null) void snapshots.get(mainRoot);

  let sources: SourceFile[] = [];
  try {
    sources = await collectSources({ mainFile, baseDir, extraFiles: extraSources }, snapshots);
  } catch (error) {
    warnings.push(`Source files were not recorded: ${errorMessage(error)}`);
  }

  const [dependencies, git, host] = await Promise.all([
    collectDependencies(sources, options.extraDependencies).catch((error: unknown) => {
      warnings.push(`Dependencies were not recorded: ${errorMessage(error)}`);
      return [...options.extraDependencies].map(([name, version]) => `${name}==${version}`).sort();
    }),
    captureRepositories(sources, snapshots).catch((error: unknown) => {
      warnings.push(`Git state was not recorded: ${errorMessage(error)}`);
      return { repositories: [] as RepositoryInfo[], dirtyFiles: [] as string[], warning: undefined };
    }),
    hostPromise,
  ]);
  if (git.warning !== undefined) warnings.push(git.warning);

  if (options.enforceClean) {
    if (git.dirtyFiles.length > 0) {
      const shown = git.dirtyFiles.map((file) => path.relative(process.cwd(), file) || file);
      throw new UsageError(
        `Refusing to run with uncommitted changes (-e/--enforce_clean): ${shown.join(', ')}. Commit or stash them, or run without -e.`,
        {
          code: 'RITUAL_DIRTY_REPOSITORY',
        },
      );
    }
    if (git.repositories.length === 0) {
      throw new UsageError(
        `-e/--enforce_clean needs the sources in a git repository, but none was found${git.warning ? ` (${git.warning})` : ''}. Run without -e.`,
        {
          code: 'RITUAL_DIRTY_REPOSITORY',
        },
      );
    }
  }

  const mainRelative = path.relative(baseDir, mainFile).split(path.sep).join('/');
  return {
    experiment: { base_dir: baseDir, mainfile: mainRelative, sources, dependencies, repositories: git.repositories },
    host,
    warnings,
  };
}
