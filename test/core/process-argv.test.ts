// While a command runs, process.argv holds only the words the experiment did
// not consume, and is restored afterwards, also when the command throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withUnconsumedArgv } from '../../packages/core/src/commandline/process-argv.js';

test('the experiment words leave process.argv while the command runs, and come back', async () => {
  const saved = process.argv.splice(2, process.argv.length - 2, 'save_config', 'out.yaml', '-C', 'fd', 'with', 'a=1');
  const reference = process.argv;
  try {
    const consumed = process.argv.slice(2);
    const seen = await withUnconsumedArgv(consumed, ['out.yaml'], async () => process.argv.slice(2));
    assert.deepEqual(seen, ['out.yaml']);
    assert.equal(process.argv, reference, 'the same array, changed in place');
    assert.deepEqual(process.argv.slice(2), consumed);
    await assert.rejects(
      withUnconsumedArgv(consumed, [], async () => {
        assert.deepEqual(process.argv.slice(2), []);
        throw new Error('main failed');
      }),
      /main failed/,
    );
    assert.deepEqual(process.argv.slice(2), consumed, 'restored after a failure too');
    // Words that are not the process's own command line: process.argv is not touched.
    assert.deepEqual(await withUnconsumedArgv(['with', 'b=2'], [], async () => process.argv.slice(2)), consumed);
  } finally {
    process.argv.splice(2, process.argv.length - 2, ...saved);
  }
});
