import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressCollapser } from '../../packages/core/src/capture/progress-collapse.js';

/** Feed chunks and return what was emitted, plus the final flush. */
function collapse(...chunks: string[]): string {
  const collapser = new ProgressCollapser();
  return chunks.map((chunk) => collapser.push(chunk)).join('') + collapser.flush();
}

test('\\r redraws keep the final state of each line', () => {
  assert.equal(collapse('epoch 1\n10%\r20%\r100%\ndone\n'), 'epoch 1\n100%\ndone\n');
  // Overwrite, as a terminal does: a shorter redraw leaves the tail visible.
  assert.equal(collapse('loading....\rok\n'), 'okading....\n');
  assert.equal(collapse('windows line\r\nnext\r\n'), 'windows line\nnext\n');
});

test('backspaces step back one cell (and never before the line start)', () => {
  assert.equal(collapse('abc\b\bX\n'), 'aXc\n');
  assert.equal(collapse('\b\b\bok\n'), 'ok\n');
  assert.equal(collapse('spin |\b/\b-\b\\\bdone\n'), 'spin done\n');
  assert.equal(collapse('smile 😀\bX\n'), 'smile X\n');
});

test('erase-line and cursor escapes used by progress bars', () => {
  assert.equal(collapse('50% [=====     ]\r\x1b[K100% [==========]\n'), '100% [==========]\n');
  assert.equal(collapse('old text\r\x1b[2Knew\n'), 'new\n');
  assert.equal(collapse('abcdef\x1b[3D\x1b[0KXY\n'), 'abcXY\n');
  assert.equal(collapse('abcdef\x1b[1GZ\n'), 'Zbcdef\n');
  // Colours are kept as they are.
  assert.equal(collapse('\x1b[32mgreen\x1b[0m\n'), '\x1b[32mgreen\x1b[0m\n');
});

test('collapse works across chunk boundaries, also inside an escape sequence', () => {
  assert.equal(collapse('10%', '\r20%', '\r30%\n'), '30%\n');
  assert.equal(collapse('old', '\r\x1b', '[K', 'new\n'), 'new\n');
  assert.equal(collapse('x\r\x1b[', '2', 'K', 'y\n'), 'y\n');
});

test('only finished lines are emitted; the line being drawn waits for its newline', () => {
  const collapser = new ProgressCollapser();
  assert.equal(collapser.push('first line\nbar 10%'), 'first line\n');
  assert.equal(collapser.push('\rbar 60%'), '');
  assert.equal(collapser.push('\rbar 100%\nafter'), 'bar 100%\n');
  assert.equal(collapser.flush(), 'after');
  assert.equal(collapser.flush(), '');
});

test('plain output passes through unchanged', () => {
  const text = 'a\nb\n\nunicode: é ü 漢字 😀\n';
  assert.equal(collapse(text), text);
  assert.equal(collapse('no newline at end'), 'no newline at end');
});
