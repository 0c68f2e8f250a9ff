// Runs the `ritual` command in-process and captures what it prints.
import { fileURLToPath } from 'node:url';
import { main } from '../../packages/cli/src/main.js';

/** The prepared runs folder in Sacred's exact file format (1 COMPLETED, 2 FAILED, 3 RUNNING but dead, 4 corrupt). */
export const FIXTURE_RUNS = fileURLToPath(new URL('../fixtures/runs', import.meta.url));

/** After run 3's last heartbeat (09:15:10) by far: it is "probably dead". */
export const LATER = new Date('2026-11-27T12:00:00Z');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], options: { now?: Date; color?: boolean } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    color: options.color ?? false,
    now: () => options.now ?? LATER,
    env: {},
  });
  return { code, stdout, stderr };
}

/** The cells of a boxed table row that starts with `first` (cli-table3 draws │ between cells). */
export function tableRow(output: string, first: string): string[] | undefined {
  for (const line of output.split('\n')) {
    if (!line.startsWith('│')) continue;
    const cells = line
      .split('│')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells[0] === first) return cells;
  }
  return undefined;
}

/** All first cells of the table's body rows (the header excluded). */
export function firstColumn(output: string): string[] {
  const rows = output.split('\n').filter((line) => line.startsWith('│'));
  return rows.slice(1).map((line) => (line.split('│')[1] ?? '').trim());
}
