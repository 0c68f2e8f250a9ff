import assert from 'node:assert/strict';
import test from 'node:test';
import * as core from '@ritual/core';
import * as kit from '@ritual/core/observer-kit';
import * as errorsModule from '../../packages/core/src/errors.js';

test('every error class is exported from the package (InternalError from the observer kit), has a fixed name and a code, and descends from RitualError', () => {
  const classes = Object.entries(errorsModule).filter(([, value]) => typeof value === 'function');
  assert.ok(classes.length >= 8);
  for (const [exportName, ErrorClass] of classes) {
    const from = exportName === 'InternalError' ? (kit as Record<string, unknown>) : (core as Record<string, unknown>);
    assert.equal(from[exportName], ErrorClass, `${exportName} is not exported from @ritual/core (or its observer kit)`);
    const instance = new (ErrorClass as new (...args: unknown[]) => Error)('x', 'y', 'z');
    assert.equal(instance.name, exportName, `${exportName} has name ${instance.name}`);
    assert.ok(instance instanceof core.RitualError);
    assert.equal(typeof (instance as core.RitualError).code, 'string');
  }
});

test('the branches say whose move it is', () => {
  assert.ok(new core.ConfigError('a.b', 'bad') instanceof core.UsageError);
  assert.ok(new core.CommandLineError('bad') instanceof core.UsageError);
  assert.ok(new core.MissingDependencyError('mongodb', 'for -m') instanceof core.UsageError);
  assert.match(new core.MissingDependencyError('mongodb', 'for -m').message, /npm install mongodb/);
  assert.ok(new core.ObserverStartError('x') instanceof core.BackendError);
  assert.ok(!(new core.BackendError('x') instanceof core.UsageError));
  assert.match(new kit.InternalError('x').message, /bug in ritual/);
});
