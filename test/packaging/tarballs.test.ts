import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// What `npm publish` would ship: each package is packed for real and its tarball read back.
// Needs the packages built (`npm test` builds first).
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGES = ['core', 'observers', 'cli', 'board'] as const;
const built = PACKAGES.every((name) => existsSync(path.join(ROOT, 'packages', name, 'dist')));
const skip = built ? false : 'not built here: run npm run build';

interface Packed {
  files: string[];
  manifest: Record<string, unknown>;
  read(file: string): string;
}

const packed = new Map<string, Packed>();
const work = mkdtempSync(path.join(tmpdir(), 'ritual-pack-'));
after(() => rmSync(work, { recursive: true, force: true }));

before(() => {
  if (!built) return;
  for (const name of PACKAGES) {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: path.join(ROOT, 'packages', name),
      encoding: 'utf8',
    });
    const [{ filename }] = JSON.parse(out) as [{ filename: string }];
    const unpacked = path.join(work, name);
    execFileSync('mkdir', ['-p', unpacked]);
    execFileSync('tar', ['-xzf', path.join(work, filename), '-C', unpacked]);
    const files = execFileSync('tar', ['-tzf', path.join(work, filename)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((file) => file.replace(/^package\//, ''));
    const read = (file: string) => readFileSync(path.join(unpacked, 'package', file), 'utf8');
    packed.set(name, { files, manifest: JSON.parse(read('package.json')) as Record<string, unknown>, read });
  }
});

describe('package tarballs', { skip }, () => {
  for (const name of PACKAGES) {
    it(`@ritual/${name}: README, LICENSE and the metadata npm shows`, () => {
      const { files, manifest, read } = packed.get(name) as Packed;
      for (const file of ['README.md', 'LICENSE', 'package.json'])
        assert.ok(files.includes(file), `${file} is in the tarball`);
      assert.equal(read('LICENSE'), readFileSync(path.join(ROOT, 'LICENSE'), 'utf8'));
      assert.match(read('LICENSE'), /^MIT License/);
      assert.match(read('README.md'), new RegExp(`^# @ritual/${name}\\n`));
      assert.match(read('README.md'), /npm install/);
      assert.match(read('README.md'), /github\.com\/ritual-ml\/ritual#readme/);
      assert.equal(manifest.license, 'MIT');
      assert.deepEqual(manifest.engines, { node: '>=20.19' });
      assert.ok(Array.isArray(manifest.keywords) && manifest.keywords.length > 0);
      assert.deepEqual(manifest.repository, {
        type: 'git',
        url: 'git+https://github.com/ritual-ml/ritual.git',
        directory: `packages/${name}`,
      });
    });

    it(`@ritual/${name}: every export resolves to a shipped file, under no generic condition`, () => {
      const { files, manifest } = packed.get(name) as Packed;
      const exportsMap = manifest.exports as Record<string, string | Record<string, string>>;
      for (const [subpath, target] of Object.entries(exportsMap)) {
        if (typeof target === 'string') continue;
        assert.deepEqual(Object.keys(target), ['@ritual/source', 'types', 'default'], `conditions of ${subpath}`);
        for (const file of Object.values(target))
          assert.ok(files.includes(file.replace(/^\.\//, '')), `${subpath} -> ${file} is shipped`);
      }
    });

    it(`@ritual/${name}: the .d.ts files hide @internal members, and dist holds no stale files`, () => {
      const { files, read } = packed.get(name) as Packed;
      const declarations = files.filter((file) => file.endsWith('.d.ts'));
      assert.ok(declarations.length > 0);
      const leaking = declarations.filter((file) => read(file).includes('@internal'));
      assert.deepEqual(leaking, []);
      const stale = files
        // dist/assets is the board's UI bundle, built from ui/ by esbuild rather than from src/
        .filter((file) => file.startsWith('dist/') && !file.startsWith('dist/assets/') && file.endsWith('.js'))
        .filter((file) => !files.includes(file.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')));
      assert.deepEqual(
        stale,
        [],
        'every dist/*.js is built from a shipped src/*.ts (stale output of moved files: npm run clean, then npm test)',
      );
    });
  }

  it("@ritual/observers needs none of the command's packages, and mongodb and mingo only as optional peers", () => {
    const manifest = (packed.get('observers') as Packed).manifest;
    assert.deepEqual(Object.keys(manifest.dependencies as object).sort(), ['@ritual/core', 'picocolors']);
    assert.equal(manifest.bin, undefined);
    assert.equal(manifest.optionalDependencies, undefined);
    assert.deepEqual(manifest.peerDependenciesMeta, { mingo: { optional: true }, mongodb: { optional: true } });
    assert.ok(!(packed.get('observers') as Packed).files.some((file) => file.includes('cli/')));
  });

  it('@ritual/cli ships the `ritual` bin; the plot stack and mongodb are optional peers', () => {
    const { manifest, files, read } = packed.get('cli') as Packed;
    assert.deepEqual(manifest.bin, { ritual: './bin/ritual.js' });
    assert.ok(files.includes('bin/ritual.js') && files.includes('dist/ritual.js'));
    assert.match(read('bin/ritual.js'), /^#!\/usr\/bin\/env node/);
    const peers = manifest.peerDependenciesMeta as Record<string, { optional: boolean }>;
    for (const name of ['vega', 'vega-lite', '@resvg/resvg-js', 'mongodb'])
      assert.deepEqual(peers[name], { optional: true }, name);
    for (const name of ['vega', 'vega-lite', '@resvg/resvg-js'])
      assert.ok(!(name in (manifest.dependencies as object)), name);
  });
});

it('@ritual/board ships its built UI and installs neither Preact nor uPlot (they are bundled in)', { skip }, () => {
  const { manifest, files, read } = packed.get('board') as Packed;
  for (const asset of ['index.html', 'app.js', 'app.css']) assert.ok(files.includes(`dist/assets/${asset}`), asset);
  assert.deepEqual(Object.keys(manifest.dependencies as object).sort(), ['@ritual/core', '@ritual/observers', 'mingo']);
  assert.match(read('dist/assets/index.html'), /<script type="module" src="\/app.js">/);
  assert.doesNotMatch(read('dist/assets/index.html'), /https?:\/\//, 'no CDN');
  const cli = (packed.get('cli') as Packed).manifest;
  assert.deepEqual((cli.peerDependenciesMeta as Record<string, unknown>)['@ritual/board'], { optional: true });
});

it('node --conditions=source loads the built package, not its TypeScript source', { skip }, () => {
  // `source` is a condition other tools set; ours is @ritual/source, which only this workspace sets.
  const script =
    "const core = await import('@ritual/core'); const kit = await import('@ritual/core/observer-kit');" +
    ' console.log(typeof core.Experiment, typeof kit.toSacredTime);';
  const child = spawnSync(process.execPath, ['--conditions=source', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'function function');
});
