// Builds what the tests need before they start, so that no test file pays
// (or times out on) a cold build: the MongoDB-wire test server (Maven
// Central, cached under .cache/mongo-server) and Python's sacred + incense
// (PyPI, cached under .cache/python-venv). Both are also built on demand by
// the tests themselves; this only moves the wait up front and shows it.
import { ensureMongoServerBuilt } from '../test/support/mongo-server/build.js';
import { ensurePythonEnv } from '../test/support/python-env.js';

const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const [mongo, python] = await Promise.allSettled([
  ensureMongoServerBuilt().then((result) =>
    console.log(`MongoDB test server ${result.built ? 'built' : 'cached'} (${seconds()})`),
  ),
  ensurePythonEnv().then((env) => console.log(`Python env with sacred ready: ${env.python} (${seconds()})`)),
]);
for (const [what, result] of [
  ['MongoDB test server', mongo],
  ['Python env', python],
] as const) {
  if (result.status === 'rejected') {
    console.error(
      `Could not prepare the ${what}: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`,
    );
    process.exitCode = 1;
  }
}
