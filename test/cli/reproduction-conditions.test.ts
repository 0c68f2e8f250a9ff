// The rebuilt code runs with the --conditions the `ritual` command runs with, so that in this
// workspace (npm ci, no build) `npm run ritual -- reproduce runs 1` resolves @ritual/* to the
// TypeScript sources as `npm start` did, instead of failing on a dist/ that was never built.
import assert from 'node:assert/strict';
import test from 'node:test';
import { resolutionConditions } from '../../packages/cli/src/reproduction-run.js';

test('the child gets every --conditions of this process, in each spelling node accepts, and nothing else', () => {
  assert.deepEqual(
    resolutionConditions(['--conditions=@ritual/source', '--import', 'tsx', '-C', 'dev', '--conditions', 'x']),
    ['--conditions=@ritual/source', '--conditions=dev', '--conditions=x'],
  );
  assert.deepEqual(resolutionConditions(['--import', 'tsx', '--enable-source-maps']), []);
  assert.deepEqual(resolutionConditions(['--conditions']), [], 'a dangling flag is not invented a value');
});
