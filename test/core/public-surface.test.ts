import assert from 'node:assert/strict';
import test from 'node:test';
import * as core from '@ritual/core';
import * as kit from '@ritual/core/observer-kit';

// What only observers, stores and their tests use: Sacred's formats and core's internals a backend must agree with.
const OBSERVER_KIT = [
  'toSacredTime',
  'fromSacredTime',
  'formatSacredJson',
  'sacredJsonNumber',
  'sacredJsonString',
  'spelledAsInJavaScript',
  'compareSacredKeys',
  'formatDuration',
  'normaliseArtifactName',
  'RUN_FILE_NAMES',
  'parseJournalLine',
  'newRootSeed',
  'Seeding',
  'InternalError',
  'errorMessage',
  'needTurnsUntil',
  // Files replaced or appended whole (atomic-file).
  'AtomicFile',
  'appendFileWhole',
  'appendFileWholeSync',
  'replaceFileAtomic',
  'syncFolder',
  'writeFileAtomic',
  'writeFileAtomicSync',
  'writeFully',
  'writeFullySync',
];

test('@ritual/core exports what a user needs, not what only observer authors need', () => {
  const leaked = OBSERVER_KIT.filter((name) => name in core);
  assert.deepEqual(leaked, [], `move these to @ritual/core/observer-kit: ${leaked.join(', ')}`);
  for (const name of ['Experiment', 'Run', 'runUnseeded', 'UsageError', 'loadModel', 'createTfjsCallback']) {
    assert.ok(name in core, `${name} is part of the user's API`);
  }
});

test("@ritual/core/observer-kit exports exactly the observer authors' tools, and they work", () => {
  assert.deepEqual(Object.keys(kit).sort(), [...OBSERVER_KIT].sort());
  assert.equal(kit.toSacredTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678))), '2026-01-02T03:04:05.678000');
  assert.equal(kit.fromSacredTime('2026-01-02T03:04:05.678000').toISOString(), '2026-01-02T03:04:05.678Z');
  assert.equal(kit.normaliseArtifactName('model/./model.json'), 'model/model.json');
  assert.equal(kit.formatSacredJson({ b: 1e-7, a: 'é' }), '{\n  "a": "\\u00e9",\n  "b": 1e-07\n}');
  assert.equal(kit.formatDuration(119_600), '2m00s');
});
