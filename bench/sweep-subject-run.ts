import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const NODE_ARGS = ['--conditions=@ritual/source', '--import', 'tsx', join(HERE, 'sweep-subject.ts')];

/** One process of bench/sweep-subject.ts with these arguments; resolves to its wall time in ms. */
export function runSweepSubject(args: string[]): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: dirname(HERE), stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`sweep-subject ${args.join(' ')} exited with ${code}`));
      else resolve(performance.now() - start);
    });
  });
}
