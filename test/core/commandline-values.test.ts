import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUpdateValue } from '../../packages/core/src/commandline/index.js';

// [text as typed after '=', expected value]
const table: Array<[string, unknown]> = [
  ['3', 3],
  ['-1.5', -1.5],
  ['+5', 5],
  ['1e-3', 0.001],
  ['1E3', 1000],
  ['.5', 0.5],
  ['0x1F', 31],
  ['0', 0],
  ['0.25', 0.25],
  ['true', true],
  ['false', false],
  ['True', true],
  ['FALSE', false],
  ['null', null],
  ['~', null],
  ['"a b"', 'a b'],
  ["'single'", 'single'],
  ["'it''s'", "it's"],
  ['"3"', '3'],
  ['"true"', 'true'],
  ['"a\\nb"', 'a\nb'],
  ['""', ''],
  ['[1, 2, 3]', [1, 2, 3]],
  ['[]', []],
  ['{}', {}],
  ['{"a": 1, "b": [true, null]}', { a: 1, b: [true, null] }],
  ['{a: 1, b: [x, "y z"]}', { a: 1, b: ['x', 'y z'] }],
  ['[1e-3, {k: v}]', [0.001, { k: 'v' }]],
  // Stays the text itself:
  ['hello', 'hello'],
  ['hello world', 'hello world'],
  ['yes', 'yes'],
  ['no', 'no'],
  ['None', 'None'],
  ['', ''],
  ['   ', ''],
  ['  padded  ', 'padded'],
  ['#1', '#1'],
  ['a #b', 'a #b'],
  ['007', '007'],
  ['-01', '-01'],
  ['12345678901234567890', '12345678901234567890'],
  ['.inf', '.inf'],
  ['-.inf', '-.inf'],
  ['.nan', '.nan'],
  ['1_000', '1_000'],
  ['a: b', 'a: b'],
  ['- a', '- a'],
  ['[1, 2', '[1, 2'],
  ['{a: 1, a: 2}', '{a: 1, a: 2}'],
  ['[.inf]', '[.inf]'],
  ['"unterminated', '"unterminated'],
  ['"a" b', '"a" b'],
  ['&anchor x', '&anchor x'],
  ['*alias', '*alias'],
  ['!!binary aGVsbG8=', '!!binary aGVsbG8='],
  ['a=b', 'a=b'],
  ['http://host:8080/x?y=1', 'http://host:8080/x?y=1'],
  ['2026-01-01', '2026-01-01'],
  ['1.2.3', '1.2.3'],
];

for (const [text, expected] of table) {
  test(`parseUpdateValue(${JSON.stringify(text)}) -> ${JSON.stringify(expected)}`, () => {
    assert.deepEqual(parseUpdateValue(text), expected);
  });
}
