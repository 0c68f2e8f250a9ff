import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import fc from 'fast-check';
import { parseCommandLine } from '../../packages/core/src/commandline/index.js';
import { loadConfigFile, resolveConfig, saveConfigFile } from '../../packages/core/src/config/index.js';
import { RitualError } from '../../packages/core/src/errors.js';

const COMMANDS = ['print_config', 'save_config', 'train'];
const DEFAULTS = { lr: 0.1, epochs: 3, name: 'run', model: { hidden: 8, layers: [1, 2] }, flags: { dropout: true } };

const key = fc.oneof(
  fc.constantFrom('lr', 'epochs', 'name', 'model', 'model.hidden', 'model.layers', 'flags.dropout', 'seed'),
  fc.string({ maxLength: 8 }),
  fc.stringMatching(/^[a-z]{1,4}(\.[a-z]{0,3}){0,3}$/),
);
const value = fc.oneof(
  fc.json({ maxDepth: 2 }),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '1e-3',
    'true',
    'null',
    '"quoted"',
    "'single'",
    '[1, 2]',
    '{a: 1}',
    '=',
    'a=b=c',
    '.inf',
    '-0',
    '0x1f',
    '[unclosed',
    '{"a":',
  ),
);
const token = fc.oneof(
  fc.tuple(key, value).map(([k, v]) => `${k}=${v}`),
  fc.constantFrom(
    'with',
    'fast',
    '-f',
    '--force',
    '-u',
    '-b',
    '0.5',
    '-C',
    'sys',
    '-p',
    '--debug',
    '-F',
    'runs',
    '-l',
    'DEBUG',
    '=3',
    'a.=1',
    'a..b=1',
    '$x=1',
    '--nope',
    'print_config',
    'train',
  ),
  fc.string({ maxLength: 10 }),
);

test('any argument list either parses and resolves, or fails with a documented RitualError; accepted configs round-trip through save_config', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-grammar-'));
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(token, { maxLength: 8 }), fc.boolean(), async (argv, useWith) => {
      const args = useWith ? ['with', ...argv] : argv;
      let config;
      try {
        const parsed = parseCommandLine(args, COMMANDS);
        config = resolveConfig({
          entries: [{ kind: 'object', value: DEFAULTS }],
          namedConfigs: new Map([['fast', { kind: 'object', value: { epochs: 1 } }]]),
          requested: parsed.requested,
          updates: parsed.updates,
          force: parsed.options.force,
          newSeed: () => 42,
        }).config;
      } catch (error) {
        assert.ok(error instanceof RitualError, `undocumented error for ${JSON.stringify(args)}: ${String(error)}`);
        assert.ok((error as Error).message.length > 0);
        return;
      }
      accepted++;
      for (const ext of ['json', 'yaml']) {
        const file = join(dir, `config.${ext}`);
        await saveConfigFile(config, file);
        assert.deepEqual(await loadConfigFile(file), config, `${ext} round trip of ${JSON.stringify(args)}`);
      }
    }),
    { numRuns: 3000 },
  );
  assert.ok(
    accepted > 100,
    `only ${accepted} argument lists were accepted: the generator is too hostile to prove round trips`,
  );
});
