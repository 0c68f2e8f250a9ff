/**
 * Peak resident memory of a process and every process it started (W&B's
 * `wandb-core` and `wandb-symon`, MLflow's helpers, Sacred's `tee`), summed
 * over the tree, sampled from /proc while it runs. Linux only: elsewhere the
 * peak is null and the figure says so.
 */
import { readdir, readFile } from 'node:fs/promises';

const PAGE_BYTES = 4096;

/** Sample the tree under `pid` every `intervalMs` until `stop()`; returns the peak sum in MiB (null off Linux). */
export function watchTreeRss(pid: number, intervalMs = 50): { stop: () => Promise<number | null> } {
  if (process.platform !== 'linux') return { stop: async () => null };
  let peakBytes = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      peakBytes = Math.max(peakBytes, await treeRssBytes(pid));
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return peakBytes / 2 ** 20;
    },
  };
}

/** RSS of `root` and its descendants now; processes that exit while being read count as 0. */
async function treeRssBytes(root: number): Promise<number> {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  await Promise.all(
    pids.map(async (pid) => {
      try {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        // Fields after the command name (which may hold spaces and parentheses): state ppid ... rss is field 24.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const parent = Number(fields[1]);
        rss.set(pid, Number(fields[21]) * PAGE_BYTES);
        children.set(parent, [...(children.get(parent) ?? []), pid]);
      } catch {
        // gone between readdir and read
      }
    }),
  );
  let total = 0;
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    total += rss.get(pid) ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return total;
}
