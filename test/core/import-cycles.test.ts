// No package's source imports itself back, type imports included: a circle
// means two files are one concept split in two, and the order in which ESM
// evaluates them (what is still undefined at load) depends on who is imported
// first. TypeScript's own pre-processor lists each file's imports.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import ts from 'typescript';

const PACKAGES = path.resolve(import.meta.dirname, '../../packages');

/** Each .ts file of a src folder with the files of that folder it imports (types and re-exports too). */
function importGraph(src: string): Map<string, string[]> {
  const files = (readdirSync(src, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(src, file));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const local = importedFiles.map((entry) => entry.fileName).filter((specifier) => specifier.startsWith('.'));
    graph.set(
      file,
      local.map((specifier) => path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts'))),
    );
  }
  return graph;
}

/** One circle per import that leads back into a file still being visited (depth first). */
function circles(graph: Map<string, string[]>, root: string): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const trail: string[] = [];
  const visit = (file: string): void => {
    trail.push(file);
    for (const next of graph.get(file) ?? []) {
      const at = trail.indexOf(next);
      if (at >= 0) found.push([...trail.slice(at), next].map((entry) => path.relative(root, entry)).join(' -> '));
      else if (!done.has(next)) visit(next);
    }
    trail.pop();
    done.add(file);
  };
  for (const file of graph.keys()) if (!done.has(file)) visit(file);
  return found;
}

for (const name of ['core', 'observers', 'cli']) {
  it(`packages/${name}/src has no import circle`, () => {
    const src = path.join(PACKAGES, name, 'src');
    const graph = importGraph(src);
    assert.ok(graph.size > 5, `read ${graph.size} files in ${src}`);
    assert.deepEqual(circles(graph, src), []);
  });
}
