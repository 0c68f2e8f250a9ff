import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Query } from 'mingo';
import { UsageError } from '@ritual/core';
import { compileWhere, WhereSyntaxError } from '../../packages/observers/src/query/where.js';

/** Input expression -> the MongoDB filter it must compile to. */
const CASES: Array<[string, unknown]> = [
  ['status = COMPLETED', { status: 'COMPLETED' }],
  ['status == COMPLETED', { status: 'COMPLETED' }],
  ['status != FAILED', { status: { $ne: 'FAILED' } }],
  ['status = completed', { status: 'COMPLETED' }],
  ['status in [failed, "Running"]', { status: { $in: ['FAILED', 'RUNNING'] } }],
  ['config.status = completed', { 'config.status': 'completed' }],
  ['config.lr < 0.01', { 'config.lr': { $lt: 0.01 } }],
  ['config.lr<=1e-3', { 'config.lr': { $lte: 0.001 } }],
  ['result > -0.5', { result: { $gt: -0.5 } }],
  ['result >= .5', { result: { $gte: 0.5 } }],
  ['config.lr < 0.01 and status = COMPLETED', { 'config.lr': { $lt: 0.01 }, status: 'COMPLETED' }],
  ['config.lr > 0.001 AND config.lr < 0.1', { 'config.lr': { $gt: 0.001, $lt: 0.1 } }],
  [
    'config.lr > 0.001 and config.lr > 0.01',
    { $and: [{ 'config.lr': { $gt: 0.001 } }, { 'config.lr': { $gt: 0.01 } }] },
  ],
  ['status = COMPLETED or status = FAILED', { $or: [{ status: 'COMPLETED' }, { status: 'FAILED' }] }],
  ['a = 1 or b = 2 or c = 3', { $or: [{ a: 1 }, { b: 2 }, { c: 3 }] }],
  // and binds tighter than or
  ['a = 1 or b = 2 and c = 3', { $or: [{ a: 1 }, { b: 2, c: 3 }] }],
  ['(a = 1 or b = 2) and c = 3', { $or: [{ a: 1 }, { b: 2 }], c: 3 }],
  ['(a = 1 or b = 2) and (c = 3 or d = 4)', { $and: [{ $or: [{ a: 1 }, { b: 2 }] }, { $or: [{ c: 3 }, { d: 4 }] }] }],
  ['not a = 1 and b = 2', { $nor: [{ a: 1 }], b: 2 }],
  ['a = 1 and not b = 2 and not c = 3', { $and: [{ a: 1 }, { $nor: [{ b: 2 }] }, { $nor: [{ c: 3 }] }] }],
  ['a = 1 and a = 2', { $and: [{ a: 1 }, { a: 2 }] }],
  ['((a = 1))', { a: 1 }],
  ['not a = 1', { $nor: [{ a: 1 }] }],
  ['not not a = 1', { a: 1 }],
  ['not (a = 1 or b = 2)', { $nor: [{ $or: [{ a: 1 }, { b: 2 }] }] }],
  ['status in [COMPLETED, FAILED]', { status: { $in: ['COMPLETED', 'FAILED'] } }],
  ['config.batchSize in [32, 64,128]', { 'config.batchSize': { $in: [32, 64, 128] } }],
  ['status not in [RUNNING]', { status: { $nin: ['RUNNING'] } }],
  ['status in []', { status: { $in: [] } }],
  ['fail_trace exists', { fail_trace: { $exists: true } }],
  ['fail_trace not exists', { fail_trace: { $exists: false } }],
  ['not fail_trace exists', { fail_trace: { $exists: false } }],
  ['config.flag = true', { 'config.flag': true }],
  ['config.flag = false', { 'config.flag': false }],
  ['result = null', { result: null }],
  ['config.name = "two words"', { 'config.name': 'two words' }],
  ["config.name = 'it\\'s'", { 'config.name': "it's" }],
  ['config.tag = "42"', { 'config.tag': '42' }],
  ['config.optimizer = adam-v2', { 'config.optimizer': 'adam-v2' }],
  ['config.layers = [64, 32]', { 'config.layers': [64, 32] }],
  ['config.model.layers.0 = 128', { 'config.model.layers.0': 128 }],
  ['"config.odd key" = 1', { 'config.odd key': 1 }],
  ['id = 3', { _id: 3 }],
  ['name = mnist', { 'experiment.name': 'mnist' }],
  ['meta.comment = "baseline run"', { 'meta.comment': 'baseline run' }],
  ['  status   =   COMPLETED  ', { status: 'COMPLETED' }],
  ['{"config.lr": {"$lt": 0.01}}', { 'config.lr': { $lt: 0.01 } }],
  [' { "status": "FAILED" } ', { status: 'FAILED' }],
];

describe('compileWhere: readable syntax to MongoDB filters', () => {
  for (const [input, expected] of CASES) {
    it(input, () => {
      assert.deepEqual(compileWhere(input), expected);
    });
  }

  it('compares time fields as Dates (naive UTC, like Sacred)', () => {
    const filter = compileWhere('start_time >= 2026-11-27 and stop_time < "2026-11-27T10:42:18.123"');
    const start = (filter.start_time as Record<string, unknown>).$gte;
    const stop = (filter.stop_time as Record<string, unknown>).$lt;
    assert.ok(start instanceof Date && stop instanceof Date);
    assert.equal(start.toISOString(), '2026-11-27T00:00:00.000Z');
    assert.equal(stop.toISOString(), '2026-11-27T10:42:18.123Z');
    // elsewhere a date-like word stays a string
    assert.deepEqual(compileWhere('config.day = 2026-11-27'), { 'config.day': '2026-11-27' });
  });

  it('produces filters that select the right runs (evaluated with mingo)', () => {
    const runs = [
      {
        _id: 1,
        status: 'COMPLETED',
        config: { lr: 0.001, opt: 'adam' },
        result: 0.9,
        start_time: new Date('2026-11-26T10:00:00Z'),
      },
      {
        _id: 2,
        status: 'FAILED',
        config: { lr: 0.1, opt: 'sgd' },
        result: null,
        fail_trace: ['x'],
        start_time: new Date('2026-11-27T10:00:00Z'),
      },
      {
        _id: 3,
        status: 'COMPLETED',
        config: { lr: 0.05, opt: 'sgd' },
        result: 0.7,
        start_time: new Date('2026-11-27T11:00:00Z'),
      },
    ];
    const ids = (expr: string): number[] =>
      new Query(compileWhere(expr))
        .find<{ _id: number }>(runs)
        .all()
        .map((r) => r._id);
    assert.deepEqual(ids('config.lr < 0.01'), [1]);
    assert.deepEqual(ids('status = COMPLETED and config.opt = sgd'), [3]);
    assert.deepEqual(ids('not (status = COMPLETED and config.opt = sgd)'), [1, 2]);
    assert.deepEqual(ids('(config.opt = adam or result = null) and config.lr > 0.01'), [2]);
    assert.deepEqual(ids('status = COMPLETED and not config.opt = adam'), [3]);
    assert.deepEqual(ids('fail_trace exists or result > 0.8'), [1, 2]);
    assert.deepEqual(ids('id in [1, 3] and result < 0.8'), [3]);
    assert.deepEqual(ids('start_time >= 2026-11-27'), [2, 3]);
    assert.deepEqual(ids('config.lr > 0.01 and config.lr < 0.08'), [3]);
  });
});

/** Input -> [0-based position the error must point at, a phrase the message must contain]. */
const ERRORS: Array<[string, number, string]> = [
  ['', 0, 'empty'],
  ['   ', 0, 'empty'],
  ['config.lr < and x', 12, 'expected a value after "<"'],
  ['config.lr <', 11, 'expected a value'],
  ['config.lr', 9, 'expected an operator'],
  ['config.lr 0.01', 10, 'expected an operator'],
  ['(a = 1', 6, 'expected ")"'],
  ['a = 1)', 5, 'no matching "("'],
  ['a = 1 b = 2', 6, 'join conditions with "and"'],
  ['a = 1 and', 9, 'expected a field'],
  ['and a = 1', 0, 'expected a field'],
  ['= 3', 0, 'expected a field'],
  ['3 = a', 0, 'expected a field'],
  ['a = "open', 4, 'never closed'],
  ['a ! 3', 2, 'lone "!"'],
  ['a in COMPLETED', 5, 'expected "["'],
  ['a in [1, 2', 10, 'expected "," or "]"'],
  ['a in [1 2]', 8, 'expected "," or "]"'],
  ['a not 3', 6, 'expected "in [..]" or "exists"'],
  ['a < [1, 2]', 2, 'cannot compare with a list'],
  ['$where = 1', 0, 'cannot start with "$"'],
  ['config..lr = 1', 0, 'not a field path'],
  ['config. = 1', 0, 'not a field path'],
  ['{"a": }', 6, 'not valid JSON'],
  ['{"a": 1', 7, 'not valid JSON'],
  ['{a: 1}', 1, 'not valid JSON'],
  ['{"a": 1}}', 8, 'not valid JSON'],
];

describe('compileWhere: bad expressions', () => {
  for (const [input, position, phrase] of ERRORS) {
    it(`${JSON.stringify(input)} -> error at ${position}`, () => {
      assert.throws(
        () => compileWhere(input),
        (error: unknown) => {
          assert.ok(error instanceof WhereSyntaxError, 'a WhereSyntaxError');
          assert.ok(error instanceof UsageError, 'which is a UsageError');
          assert.equal(error.code, 'RITUAL_BAD_WHERE');
          assert.equal(error.position, position);
          assert.ok(error.message.includes(phrase), `message mentions ${phrase}: ${error.message}`);
          // the message quotes the expression and puts a caret under the column
          const lines = error.message.split('\n');
          assert.equal(lines[1], `  ${input}`);
          assert.equal(lines[2], `  ${' '.repeat(error.position)}^`);
          return true;
        },
      );
    });
  }

  it('refuses a JSON filter that is not an object', () => {
    assert.throws(() => compileWhere('{'), WhereSyntaxError);
    assert.throws(() => compileWhere('[1]'), /expected a field/);
  });
});
