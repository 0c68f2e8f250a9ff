import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import test from 'node:test';
import { OutputSpool } from '../../packages/core/src/capture/output-spool.js';

const spoolDirs = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith('ritual-output-'));

test('past its limit the spool hands text back in pieces of at most the limit, oldest first, characters whole', () => {
  const limit = 64 * 1024;
  const spool = new OutputSpool(limit);
  const before = new Set(spoolDirs());
  // Multi-byte characters (2, 3 and 4 bytes) so that piece boundaries fall inside characters.
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} é € 😀 ${'x'.repeat(i % 97)}\n`);
  for (const line of lines) spool.append(line);
  const expected = lines.join('');
  assert.equal(spool.pendingBytes, Buffer.byteLength(expected));
  // Spilled: the memory holds less than the limit, and the file has no name left on disk (nothing to clean up).
  assert.ok(spool.pendingBytes > 4 * limit);
  assert.deepEqual(
    spoolDirs().filter((name) => !before.has(name)),
    [],
  );

  const pieces: string[] = [];
  for (let piece = spool.take(); piece !== ''; piece = spool.take()) pieces.push(piece);
  assert.ok(pieces.length > 4, `${pieces.length} pieces`);
  for (const piece of pieces)
    assert.ok(Buffer.byteLength(piece) <= limit, `a piece of ${Buffer.byteLength(piece)} bytes`);
  assert.equal(pieces.join(''), expected);
  assert.equal(spool.pendingBytes, 0);

  // Emptied, it spills again from the start, and text appended between takes keeps its place.
  spool.append('a'.repeat(limit + 1));
  spool.append('tail\n');
  const first = spool.take();
  spool.append('later\n');
  let rest = '';
  for (let piece = spool.take(); piece !== ''; piece = spool.take()) rest += piece;
  assert.equal(first + rest, `${'a'.repeat(limit + 1)}tail\nlater\n`);
  spool.close();
  assert.equal(spool.take(), '');
});

test('below its limit the spool is a plain in-memory buffer', () => {
  const spool = new OutputSpool(1024);
  spool.append('one\n');
  spool.append('two\n');
  assert.equal(spool.pendingBytes, 8);
  assert.equal(spool.take(), 'one\ntwo\n');
  assert.equal(spool.take(), '');
  spool.close();
});
