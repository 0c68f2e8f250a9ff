// The one helper every warning and error line uses for something thrown:
// the message of an Error, a readable line for anything else, and a cause
// added only where the message does not already name it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackendError, ObserverStartError } from '@ritual/core';
import { errorMessage } from '@ritual/core/observer-kit';

describe('errorMessage', () => {
  it('an Error gives its message, without name or stack', () => {
    assert.equal(errorMessage(new TypeError('x is not a function')), 'x is not a function');
    assert.equal(
      errorMessage(new BackendError('Cannot reach MongoDB at localhost.')),
      'Cannot reach MongoDB at localhost.',
    );
  });

  it('an Error with no message gives its name rather than an empty line', () => {
    assert.equal(errorMessage(new RangeError()), 'RangeError');
  });

  it('anything else thrown gives a readable line', () => {
    assert.equal(errorMessage('disk full'), 'disk full');
    assert.equal(errorMessage(42), '42');
    assert.equal(errorMessage(undefined), 'undefined');
    assert.equal(errorMessage(null), 'null');
    assert.equal(errorMessage({ message: 'rejected with a plain object' }), 'rejected with a plain object');
  });

  it("an Error with a cause its message does not name adds it (as Node's fetch failed needs)", () => {
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:27017');
    assert.equal(
      errorMessage(new Error('fetch failed', { cause: refused })),
      'fetch failed (cause: connect ECONNREFUSED 127.0.0.1:27017)',
    );
    assert.equal(errorMessage(new Error('wrapped', { cause: 'a string cause' })), 'wrapped (cause: a string cause)');
  });

  it('a cause the message already quotes is not repeated', () => {
    const cause = new Error('EACCES: permission denied');
    const error = new BackendError(`Cannot create run folder runs/3: ${cause.message}. Check that runs is writable.`, {
      cause,
    });
    assert.equal(
      errorMessage(error),
      'Cannot create run folder runs/3: EACCES: permission denied. Check that runs is writable.',
    );
  });

  it('follows a chain of causes a few levels deep, and stops on a cycle', () => {
    const root = new Error('socket hang up');
    const chain = new Error('fetch failed', { cause: new Error('request aborted', { cause: root }) });
    assert.equal(errorMessage(chain), 'fetch failed (cause: request aborted) (cause: socket hang up)');
    const loop = new Error('a');
    const other = new Error('b', { cause: loop });
    (loop as { cause?: unknown }).cause = other;
    assert.equal(errorMessage(loop), 'a (cause: b)');
  });

  it("is what ObserverStartError says about the observer's failure", () => {
    const error = new ObserverStartError('MongoObserver', {
      cause: new Error('fetch failed', { cause: new Error('ENOTFOUND db') }),
    });
    assert.match(error.message, /failed to start the run: fetch failed \(cause: ENOTFOUND db\)\./);
    assert.match(new ObserverStartError('X', { cause: 'refused' }).message, /failed to start the run: refused\./);
  });
});
