import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanImports } from '../../packages/core/src/capture/import-scanner.js';

const specs = (code: string): string[] => scanImports(code).map((s) => `${s.kind}:${s.specifier}`);

test('ESM static imports, re-exports and side-effect imports', () => {
  const code = `
    import a from './a.js';
    import * as b from "./b";
    import { c, d as e } from './c.ts';
    import f, { g } from 'pkg';
    import './side-effect.js';
    export * from './star.js';
    export * as ns from './ns.js';
    export { h } from './h.js';
    export { default as i } from '@scope/pkg/sub';
    import data from './data.json' with { type: 'json' };
    export const notAnImport = 1;
    export { localName };
  `;
  assert.deepEqual(specs(code), [
    'static:./a.js',
    'static:./b',
    'static:./c.ts',
    'static:pkg',
    'static:./side-effect.js',
    'static:./star.js',
    'static:./ns.js',
    'static:./h.js',
    'static:@scope/pkg/sub',
    'static:./data.json',
  ]);
});

test('multi-line import lists and TypeScript syntax', () => {
  const code = `
    import {
      one,
      type Two,
      three as Three,
    } from './multi';
    import type { OnlyType } from './types-only';
    export type { AlsoType } from './types-reexport';
    import type from './default-named-type';
    import fs = require('node:fs');
    const x: Array<Map<string, number>> = new Map<string, number>() as unknown as Array<Map<string, number>>;
    function generic<T extends object>(value: T): T { return value; }
    enum Color { Red = 'red' }
  `;
  assert.deepEqual(specs(code), ['static:./multi', 'static:./default-named-type', 'require:node:fs']);
});

test('CommonJS require and dynamic import with literal specifiers only', () => {
  const code = `
    const a = require('./a.cjs');
    const { b } = require("pkg-b");
    const lazy = await import('./lazy.mjs');
    const tpl = await import(\`./template.js\`);
    const withOptions = await import('./opts.js', { with: { type: 'json' } });
    const computed = await import('./' + name);
    const computedTpl = await import(\`./\${name}.js\`);
    const viaVariable = require(name);
    require.resolve('./not-loaded.js');
    obj.require('./member-call.js');
    obj.import('./member-import.js');
    const meta = import.meta.url;
  `;
  assert.deepEqual(specs(code), [
    'require:./a.cjs',
    'require:pkg-b',
    'dynamic:./lazy.mjs',
    'dynamic:./template.js',
    'dynamic:./opts.js',
  ]);
});

test('TypeScript import types load nothing; dynamic imports used at run time still count', () => {
  const code = `
    type Colors = ReturnType<typeof import('picocolors').createColors>;
    let yamlModule: typeof import('yaml') | undefined;
    const plot = importOptional<typeof import('vega')>('vega');
    let config: import('./config-types').Config;
    type Tree = import('./tree')<string>;
    export type Driver = typeof import("mongodb");
    const loaded = await import('./runtime');
    import('./chained').then((m) => m.run());
    import('./caught').catch(() => undefined).finally(done);
    const member = (await import('./member')).value;
  `;
  assert.deepEqual(specs(code), ['dynamic:./runtime', 'dynamic:./chained', 'dynamic:./caught', 'dynamic:./member']);
});

test('imports inside comments, strings, templates and regular expressions are not imports', () => {
  const code = `
    // import './line-comment.js';
    /* import './block-comment.js';
       require('./block-comment2.js') */
    const s1 = "import './in-double-string.js'";
    const s2 = 'require("./in-single-string.js")';
    const t = \`
      import './in-template.js';
      \${ inner + \`import './nested-template.js'\` }
    \`;
    const re = /import '.\\/in-regex.js'/g;
    const re2 = /["'\`]/;
    const division = total / count / 2; import './after-division.js';
    const escaped = 'it\\'s import "./still-a-string.js"';
    import './real.js';
  `;
  assert.deepEqual(specs(code), ['static:./after-division.js', 'static:./real.js']);
});

test('template substitutions resume normal lexing: imports after them are found', () => {
  const code = 'const msg = `value: ${fn({ a: 1 })} and ${`inner ${x}`}`;\nimport "./after-template.js";\n';
  assert.deepEqual(specs(code), ['static:./after-template.js']);
});

test('a hashbang line and duplicates', () => {
  const code = "#!/usr/bin/env node\nimport './x.js';\nimport './x.js';\nrequire('./x.js');\n";
  assert.deepEqual(specs(code), ['static:./x.js', 'require:./x.js']);
});

test('a broken line (JSX text with an apostrophe) does not hide imports on later lines', () => {
  const code = "import React from 'react';\nconst el = <p>Don't panic</p>;\nimport './after-jsx.js';\n";
  assert.deepEqual(specs(code), ['static:react', 'static:./after-jsx.js']);
});

test('property: arbitrary text inside comments and string literals never yields an import, and the lexer always terminates', async () => {
  const fc = await import('fast-check');
  const importish = fc.constantFrom(
    "import './x.js'",
    'require("y")',
    "import('z')",
    'export * from "w"',
    '`',
    '${',
    '/',
    '*/',
    '"',
    "'",
    '\\',
    '\n',
  );
  const text = fc.array(fc.oneof(fc.string(), importish), { maxLength: 12 }).map((parts) => parts.join(''));
  fc.assert(
    fc.property(text, (s) => {
      assert.deepEqual(scanImports(`const a = ${JSON.stringify(s)};\nimport './after.js';`), [
        { specifier: './after.js', kind: 'static' },
      ]);
      if (!s.includes('*/'))
        assert.deepEqual(scanImports(`/* ${s} */ import './after.js';`), [{ specifier: './after.js', kind: 'static' }]);
      const line = s.replace(/[\n\r\u2028\u2029]/g, ' ');
      assert.deepEqual(scanImports(`// ${line}\nimport './after.js';`), [{ specifier: './after.js', kind: 'static' }]);
      scanImports(s); // garbage in: no throw, no hang
    }),
    { numRuns: 500 },
  );
});
