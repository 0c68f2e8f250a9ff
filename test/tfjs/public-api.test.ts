// The tfjs integration is part of @ritual/core's public API.
import assert from 'node:assert/strict';
import test from 'node:test';

test('the public API of @ritual/core exports the tfjs integration', async () => {
  const core = await import('@ritual/core');
  for (const name of ['registerWasmConv2DBackpropFilter', 'createTfjsCallback', 'saveModel', 'loadModel']) {
    assert.equal(typeof (core as Record<string, unknown>)[name], 'function', name);
  }
});
