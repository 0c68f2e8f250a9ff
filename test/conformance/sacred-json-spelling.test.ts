/**
 * ritual's JSON files must be byte for byte what Sacred's FileStorageObserver
 * (Python's json.dump, sort_keys=True, indent=2) writes: non-ASCII text as
 * \u escapes (surrogate pairs beyond the BMP), floats as Python's repr
 * (`1e-07`, `1e-05`, `-0.0`), NaN/Infinity as bare tokens, keys by code point.
 * Checked against the real Python, with fixed hard cases and random ones
 * (fast-check), all in one Python call.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { formatSacredJson, sacredJsonNumber, sacredJsonString } from '@ritual/core/observer-kit';
import { pythonEnvOrSkip } from '../support/python-env.js';

const HERE = dirname(fileURLToPath(import.meta.url));

const HARD_NUMBERS = [
  0,
  -0,
  1,
  -1,
  100,
  0.1,
  0.5,
  1 / 3,
  -2.5,
  0.1 + 0.2,
  1e-4,
  9.999e-5,
  1e-5,
  1.5e-5,
  1e-6,
  1e-7,
  -1.5e-7,
  1.2e-9,
  1e-10,
  5e-324,
  2.2250738585072014e-308,
  1e15,
  1e16,
  1e16 + 2,
  2 ** 53,
  2 ** 53 + 2,
  1.2345678901234567e20,
  1e21,
  1.5e21,
  2 ** 70,
  1e100,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  123456.789,
  Number.NaN,
  Infinity,
  -Infinity,
];
const HARD_STRINGS = [
  '',
  'plain',
  'café',
  'naïve ünï',
  '日本語',
  '😀',
  'a😀b',
  '\u{10FFFF}',
  '\uFFFF',
  '\uE000',
  '\ud800',
  'x\udc00y',
  '"quoted" \\ back/slash',
  '\n\r\t\b\f',
  '\u0000\u0001\u001f',
  '\u007f\u0080',
  '\u2028\u2029',
  '<script>&',
];

function bitsOf(x: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return [...new Uint8Array(view.buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function pythonFailures(python: string, cases: object): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      python,
      [join(HERE, 'python_json_spelling.py')],
      { maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as unknown[]);
      },
    );
    child.stdin?.end(JSON.stringify(cases));
  });
}

test("numbers, strings and documents are spelled exactly as Python's json.dump spells them", {
  timeout: 600_000,
}, async (t) => {
  const env = await pythonEnvOrSkip();
  if ('skip' in env) return t.skip(env.skip);

  const seed = Date.now() % 1_000_000;
  const doubles = fc.sample(fc.double(), { numRuns: 20_000, seed });
  const smallDoubles = fc.sample(fc.double({ min: -1e-3, max: 1e-3 }), { numRuns: 5_000, seed });
  const integers = fc.sample(fc.integer({ min: -1e9, max: 1e9 }), { numRuns: 1_000, seed });
  const strings = fc.sample(fc.string({ unit: 'binary', maxLength: 12 }), { numRuns: 5_000, seed });
  const brokenStrings = fc.sample(
    fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
    {
      numRuns: 2_000,
      seed,
    },
  );
  const keys = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 4 }),
    fc.constantFrom('10', '9', '\uffff', '😀', 'a', 'B'),
  );
  const documents = fc.sample(
    fc.dictionary(
      keys,
      fc.oneof(fc.double(), fc.string({ unit: 'binary' }), fc.array(fc.double(), { maxLength: 3 }), fc.boolean()),
    ),
    { numRuns: 500, seed },
  );
  const numbers = [...HARD_NUMBERS, ...doubles, ...smallDoubles, ...integers];
  const texts = [...HARD_STRINGS, ...strings, ...brokenStrings];
  const failures = await pythonFailures(env.python, {
    numbers: numbers.map((x) => [bitsOf(x), sacredJsonNumber(x)]),
    strings: texts.map((s) => [s, sacredJsonString(s)]),
    documents: [
      formatSacredJson({
        config: { lr: 1e-7, name: 'café 😀', z: { '\uffff': 1, '😀': 2, '10': 3, '9': 4 } },
        result: Number.NaN,
      }),
      ...documents.map((d) => formatSacredJson(d)),
    ],
  });
  assert.deepEqual(
    failures.slice(0, 10),
    [],
    `${failures.length} spellings differ from Python's (fast-check seed ${seed})`,
  );

  // The cases that motivated this, spelled out.
  assert.equal(sacredJsonString('café'), '"caf\\u00e9"');
  assert.equal(sacredJsonString('😀'), '"\\ud83d\\ude00"');
  assert.deepEqual([1e-7, 1e-5, 1e16, 0.1, -0, 1e21].map(sacredJsonNumber), [
    '1e-07',
    '1e-05',
    '10000000000000000',
    '0.1',
    '-0.0',
    '1e+21',
  ]);
});
