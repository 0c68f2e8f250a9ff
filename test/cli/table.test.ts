/**
 * A long table is laid out in chunks (cli-table3's layout is quadratic in the rows) and must come out
 * exactly as one cli-table3 layout of every row: same widths, borders, alignment, colour codes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Table from 'cli-table3';
import { createContext } from '../../packages/cli/src/context.js';
import { renderTable } from '../../packages/cli/src/table.js';

test('a table of 1,234 rows is drawn exactly as cli-table3 draws it in one piece', () => {
  const ctx = createContext({ stdout: { write: () => true }, stderr: { write: () => true }, color: true }, false);
  const head = ['id', 'name', 'status', 'result'];
  const align: Array<'left' | 'right'> = ['right', 'left', 'left', 'right'];
  // Widths that differ between chunks (the widest cell is in the last one), wide characters and colour codes.
  const rows = Array.from({ length: 1234 }, (_, i) => [
    String(i + 1),
    i === 1200 ? 'mnist-実験-very-long-name' : 'mnist',
    i % 3 === 0 ? ctx.colors.red('FAILED') : ctx.colors.green('COMPLETED'),
    (i / 7).toFixed(4),
  ]);
  const whole = new Table({
    head: head.map((h) => ctx.colors.bold(h)),
    style: { head: [], border: [], compact: true, 'padding-left': 1, 'padding-right': 1 },
    colAligns: align,
    wordWrap: false,
  });
  for (const row of rows) whole.push(row);
  const expected = whole.toString();
  assert.equal(renderTable(ctx, head, rows, align), expected);
  assert.equal(expected.split('\n').length, 1234 + 4);
});
