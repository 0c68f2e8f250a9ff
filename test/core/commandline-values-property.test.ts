// Property: any JSON value typed on the command line as JSON reads back as
// that value (with the documented exceptions: integers beyond 2^53 stay
// strings so no digit is lost, and -0 reads as 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseCommandLine, parseUpdateValue } from '../../packages/core/src/commandline/index.js';

const safeNumber = fc
  .double({ noNaN: true, noDefaultInfinity: true })
  .filter((n) => !Object.is(n, -0) && (!Number.isInteger(n) || Number.isSafeInteger(n)));
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    safeNumber,
    fc.string(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.string().filter((k) => k !== '__proto__'),
      tie('value'),
      { maxKeys: 4 },
    ),
  ),
})).value;

test('parseUpdateValue(JSON.stringify(v)) deep-equals v', () => {
  fc.assert(
    fc.property(json, (value) => {
      // JSON.parse normalises fast-check's null-prototype objects to plain ones.
      assert.deepEqual(parseUpdateValue(JSON.stringify(value)), JSON.parse(JSON.stringify(value)));
    }),
    { numRuns: 400 },
  );
});

// Config keys must be addressable: no '', '.', '=', leading '$' or __proto__.
const configKey = fc.string({ minLength: 1 }).filter((k) => !/[.=]/.test(k) && !k.startsWith('$') && k !== '__proto__');
const configJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    safeNumber,
    fc.string(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(configKey, tie('value'), { maxKeys: 4 }),
  ),
})).value;

test('`with k=<json>` puts exactly that value under k', () => {
  fc.assert(
    fc.property(configJson, (value) => {
      const parsed = parseCommandLine(['with', `k=${JSON.stringify(value)}`], []);
      assert.deepEqual(parsed.updates, { k: JSON.parse(JSON.stringify(value)) });
    }),
    { numRuns: 200 },
  );
});

test('a plain word never changes: text without quotes, brackets or literal meaning stays itself', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_\-/:.@ ]{0,20}[A-Za-z0-9_]$/), (word) => {
      fc.pre(!/^(null|Null|NULL|true|True|TRUE|false|False|FALSE)$/.test(word));
      assert.equal(parseUpdateValue(word), word);
    }),
    { numRuns: 400 },
  );
});
