import { execFileSync } from 'node:child_process';

/**
 * The pids of a worker's run children: its child processes that are Node
 * (a run), not the /bin/sh that runs the worker's git commands
 * (packages/core/src/command-shell.ts). Empty when it has none (ps
 * then exits 1: the worker is between runs).
 */
export function runChildPids(pid: number): number[] {
  let listing: string;
  try {
    listing = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return listing
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([child, command]) => Number(child) > 0 && command === 'node')
    .map(([child]) => Number(child));
}
