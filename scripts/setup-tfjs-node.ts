/**
 * `npm run setup:tfjs-node`: a working @tensorflow/tfjs-node in node_modules,
 * also on machines that cannot download libtensorflow.
 *
 * Why it is not a dependency: tfjs-node's install script downloads
 * libtensorflow from storage.googleapis.com; where that host is blocked the
 * script fails, and `npm ci` with it. So `npm ci` installs only the wasm and
 * cpu backends, and this script adds tfjs-node afterwards:
 *
 * 1. `npm install --no-save --ignore-scripts @tensorflow/tfjs-node@4.22.0`:
 *    the JS package and its dependencies, sharing the workspace's tfjs-core
 *    (one engine), package.json and the lock file unchanged.
 * 2. If it already loads, done. If the download host answers, its own install
 *    script runs (`npm rebuild @tensorflow/tfjs-node`): the normal install.
 * 3. Otherwise libtensorflow is made from the PyPI wheel (see
 *    tfjs-node/libtensorflow-from-pypi.ts) into `.cache/tfjs-node`, linked
 *    into the package's `deps/`, and the addon is built from source against
 *    it (node-pre-gyp, Node's headers from /usr/include/node when present).
 *    The built addon is kept in the cache, so after the next `npm ci` this
 *    takes seconds: links and one 200 kB copy.
 *
 * Idempotent; run it again after every `npm ci` (which removes node_modules).
 * Options: -d prints stacks on failure. Environment: RITUAL_TFJS_NODE_CACHE
 * moves the cache (default `.cache/tfjs-node`), PYTHON names the python with
 * pip, CC the C compiler, RITUAL_TFJS_NODE_OFFLINE=1 skips the download probe.
 */
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, rm, symlink, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureLibtensorflow, TENSORFLOW_WHEEL } from './tfjs-node/libtensorflow-from-pypi.js';
import { TfjsNodeSetupError } from './tfjs-node/setup-error.js';
import { command, progress } from './tfjs-node/step-runner.js';

const TFJS_NODE_VERSION = '4.22.0';
/** What tfjs-node 4.22.0's install script downloads (scripts/deps-constants.js); probed, not fetched. */
const LIBTENSORFLOW_URL =
  'https://storage.googleapis.com/tensorflow/libtensorflow/libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz';
const PROBE_TIMEOUT_MS = 8_000;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = resolve(process.env.RITUAL_TFJS_NODE_CACHE ?? join(root, '.cache', 'tfjs-node'));
const packageDir = join(root, 'node_modules', '@tensorflow', 'tfjs-node');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function installedVersion(): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

async function ensurePackage(): Promise<void> {
  if (installedVersion() === TFJS_NODE_VERSION) {
    progress(`@tensorflow/tfjs-node@${TFJS_NODE_VERSION}: already in node_modules`);
    return;
  }
  progress(`@tensorflow/tfjs-node@${TFJS_NODE_VERSION}: npm install --no-save --ignore-scripts`);
  await command(
    npm,
    [
      'install',
      '--no-save',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      `@tensorflow/tfjs-node@${TFJS_NODE_VERSION}`,
    ],
    { cwd: root, hint: 'npm must reach its registry; run `npm ci` first if node_modules is missing' },
  );
}

/** Loads tfjs-node in a child (a failed native load can abort a process) and runs one op on it. */
async function loadsAndComputes(): Promise<{ ok: true; backend: string } | { ok: false; reason: string }> {
  const probe = [
    "const tf = require('@tensorflow/tfjs-node');",
    'const sum = tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0];',
    "if (sum !== 6) throw new Error('1+2+3 gave ' + sum);",
    'console.log(tf.getBackend());',
  ].join('\n');
  try {
    const output = await command(process.execPath, ['-e', probe], { cwd: root, hint: '', timeoutMs: 120_000 });
    return { ok: true, backend: output.trim().split('\n').pop() ?? '' };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

async function downloadHostAnswers(): Promise<boolean> {
  if (process.env.RITUAL_TFJS_NODE_OFFLINE === '1') return false;
  try {
    const response = await fetch(LIBTENSORFLOW_URL, { method: 'HEAD', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Absolute symlink at `link` to `target`, replacing whatever is there. */
async function linkTo(target: string, link: string): Promise<void> {
  try {
    await lstat(link);
    await rm(link, { recursive: true, force: true });
  } catch {
    // nothing there yet
  }
  await symlink(target, link);
}

async function linkLibtensorflow(libtensorflow: string): Promise<void> {
  const deps = join(packageDir, 'deps');
  await mkdir(join(deps, 'lib'), { recursive: true });
  for (const name of await readdir(join(libtensorflow, 'lib'))) {
    await linkTo(join(libtensorflow, 'lib', name), join(deps, 'lib', name));
  }
  await linkTo(join(libtensorflow, 'include'), join(deps, 'include'));
  progress(`linked ${join(libtensorflow, 'lib')} and include/ into ${deps}`);
}

/** The addon depends on the tfjs-node version, Node's N-API version and the libtensorflow it was built against. */
function addonCacheFile(): string {
  const key = `tfjs-node-${TFJS_NODE_VERSION}-napi-v${process.versions.napi}-${TENSORFLOW_WHEEL.replace('==', '-')}`;
  return join(cache, 'addon', key, 'tfjs_binding.node');
}

async function ensureAddon(): Promise<void> {
  // tfjs-node's package.json: "module_path": "./lib/napi-v{napi_build_version}"; tfjs-node builds napi-v8.
  const target = join(packageDir, 'lib', 'napi-v8', 'tfjs_binding.node');
  const cached = addonCacheFile();
  if (!existsSync(cached)) {
    progress('addon: building from source (node-pre-gyp install --build-from-source; about a minute)');
    const env = { ...process.env };
    // Node's headers ship with distribution packages of node; using them avoids node-gyp's header download.
    if (env.npm_config_nodedir === undefined && existsSync('/usr/include/node/node_api.h')) {
      env.npm_config_nodedir = '/usr';
    }
    const nodePreGyp = join(root, 'node_modules', '@mapbox', 'node-pre-gyp', 'bin', 'node-pre-gyp');
    await command(process.execPath, [nodePreGyp, 'install', '--build-from-source'], {
      cwd: packageDir,
      env,
      hint: "building needs make, a C++ compiler and Node's headers (set npm_config_nodedir to the directory holding include/node)",
    });
    await mkdir(dirname(cached), { recursive: true });
    await copyFile(target, `${cached}.partial`);
    await rm(cached, { force: true });
    await copyFile(`${cached}.partial`, cached);
    await unlink(`${cached}.partial`);
    progress(`addon: built, kept in ${cached}`);
    return;
  }
  // Copied, not linked: its RUNPATH is $ORIGIN/../../deps/lib, and Node loads addons by their real path.
  await mkdir(dirname(target), { recursive: true });
  await copyFile(cached, target);
  progress(`addon: cached copy from ${cached}`);
}

async function main(): Promise<void> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new TfjsNodeSetupError(
      `the registry-only recipe is for linux x64 (this is ${process.platform} ${process.arch}); ` +
        `use \`npm install @tensorflow/tfjs-node@${TFJS_NODE_VERSION}\`, whose install script downloads libtensorflow`,
    );
  }
  await ensurePackage();
  const before = await loadsAndComputes();
  if (before.ok) {
    progress(`done: @tensorflow/tfjs-node loads (backend ${before.backend})`);
    return;
  }
  if (await downloadHostAnswers()) {
    progress("libtensorflow download host answers: running tfjs-node's own install script (npm rebuild)");
    await command(npm, ['rebuild', '@tensorflow/tfjs-node'], { cwd: root, hint: "tfjs-node's install script failed" });
  } else {
    progress('libtensorflow download host unreachable: building it from the PyPI wheel');
    const libtensorflow = join(cache, `libtensorflow-${TENSORFLOW_WHEEL.split('==')[1]}`);
    await ensureLibtensorflow(libtensorflow, join(cache, 'wheels'));
    await linkLibtensorflow(libtensorflow);
    await ensureAddon();
  }
  const after = await loadsAndComputes();
  if (!after.ok) {
    throw new TfjsNodeSetupError(
      `@tensorflow/tfjs-node still does not load: ${after.reason}. Remove ${cache} and run npm run setup:tfjs-node again`,
    );
  }
  progress(`done: @tensorflow/tfjs-node loads (backend ${after.backend})`);
}

try {
  await main();
} catch (error) {
  const debug = process.argv.includes('-d') || process.argv.includes('--debug');
  if (error instanceof TfjsNodeSetupError && !debug) {
    process.stderr.write(`setup:tfjs-node: ${error.message}\n`);
  } else {
    process.stderr.write(`setup:tfjs-node: ${debug ? (error as Error).stack : String(error)}\n`);
  }
  process.exitCode = 1;
}
