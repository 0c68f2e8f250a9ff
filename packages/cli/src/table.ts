import Table from 'cli-table3';
import type { CliContext } from './context.js';

/**
 * A boxed table (cli-table3). Borders and headers are coloured only when the
 * context has colours; cells may already carry picocolors codes, which
 * cli-table3 measures correctly.
 */
export function renderTable(
  ctx: CliContext,
  head: string[],
  rows: string[][],
  align?: Array<'left' | 'right'>,
): string {
  const table = new Table({
    head: head.map((h) => ctx.colors.bold(h)),
    style: { head: [], border: [], compact: true, 'padding-left': 1, 'padding-right': 1 },
    ...(align ? { colAligns: align } : {}),
    wordWrap: false,
  });
  for (const row of rows) table.push(row);
  return table.toString();
}
