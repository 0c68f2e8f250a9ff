import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

/*
 * Issue 19 item 7: captured output used to wait in memory until the next heartbeat, and a main that prints
 * without yielding lets no heartbeat run. Measured before the fix: 256 MiB printed in 1 MiB writes crashed a
 * 128 MB heap (exit 134, cout.txt empty); a 64 MiB line written as a Buffer under a 256 MB heap peaked at 450 MB
 * RSS, 290 MB more than the same run with -C no. After: 152-176 MB for the flood, 45-50 MB over -C no for the
 * line (the same for a 128 MiB line: what is left is garbage the collector has not taken yet, not the line).
 */
const fixture = fileURLToPath(new URL('../fixtures/core/big-output-experiment.ts', import.meta.url));
const MiB = 1024 * 1024;

interface BigRun {
  code: number | null;
  stderr: string;
  printedBytes: number;
  printedSha256: string;
  peakRssMb: number;
  runDir: string;
}

async function bigRun(dir: string, heapMb: number, updates: string[], capture = 'sys'): Promise<BigRun> {
  const runs = join(dir, `runs-${capture}`);
  const args = [`--max-old-space-size=${heapMb}`, '--conditions=@ritual/source', '--import', 'tsx', fixture];
  const child = spawn(process.execPath, [...args, 'with', ...updates, '-F', runs, '-C', capture], {
    env: { ...process.env, RITUAL_JOURNAL_DIR: join(dir, 'journal') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const report = /SHA256=([0-9a-f]{64}) BYTES=(\d+)/.exec(stderr);
  return {
    code,
    stderr: stderr.slice(-2000),
    printedSha256: report?.[1] ?? '',
    printedBytes: Number(report?.[2] ?? NaN),
    peakRssMb: Number(/PEAK_RSS_MB=(\d+)/.exec(stderr)?.[1] ?? NaN),
    runDir: join(runs, '1'),
  };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function readAt(file: string, offset: number, length: number): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, offset)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

test('256 MiB printed without yielding under a 128 MB heap: the run completes, cout.txt holds every byte', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-output-memory-'));
  try {
    // 256 MiB of numbered lines in 1 MiB writes, then a line of 16 MiB in one write.
    const run = await bigRun(dir, 128, ['floodMiB=256', 'lineMiB=16']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(readFileSync(join(run.runDir, 'run.json'), 'utf8')).status, 'COMPLETED');
    const cout = join(run.runDir, 'cout.txt');
    assert.equal(run.printedBytes, 272 * MiB);
    assert.equal(statSync(cout).size, run.printedBytes);
    // Every byte, in order: the same digest as what main printed.
    assert.equal(await sha256Of(cout), run.printedSha256);
    // And a sample read where it must be: chunk i starts at i MiB (pieces of 4 MiB cross these boundaries).
    for (const i of [0, 3, 4, 5, 127, 128, 255]) {
      const head = readAt(cout, i * MiB, 64);
      assert.ok(head.startsWith(`chunk ${i} yyy`), `at ${i} MiB: ${JSON.stringify(head)}`);
      assert.equal(readAt(cout, (i + 1) * MiB - 2, 2), 'y\n', `end of chunk ${i}`);
    }
    assert.equal(readAt(cout, 256 * MiB, 8), 'zzzzzzzz');
    assert.equal(readAt(cout, 272 * MiB - 4, 8), 'zzz\n');
    // Before: exit 134 (heap out of memory). The fixture alone, with -C no, peaks near 110 MB.
    assert.ok(run.peakRssMb < 256, `peak RSS ${run.peakRssMb} MB while printing 256 MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a 64 MiB line costs the capture a bounded amount, not copies of the line (peak RSS against -C no)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-output-memory-'));
  try {
    // Written as a Buffer, the line itself costs 64 MiB outside the heap, so most of the peak is the capture's.
    // One run after the other, so that they do not compete for memory.
    const captured = await bigRun(dir, 256, ['bufferLineMiB=64']);
    const uncaptured = await bigRun(dir, 256, ['bufferLineMiB=64'], 'no');
    assert.equal(captured.code, 0, captured.stderr);
    assert.equal(uncaptured.code, 0, uncaptured.stderr);
    const cout = join(captured.runDir, 'cout.txt');
    assert.equal(statSync(cout).size, 64 * MiB);
    assert.equal(await sha256Of(cout), captured.printedSha256);
    assert.equal(readAt(cout, 64 * MiB - 4, 4), 'zzz\n');
    // Before: 290 MB more than -C no (the line decoded whole, collapsed whole, joined, held). Now 45-50 MB.
    const added = captured.peakRssMb - uncaptured.peakRssMb;
    const report = `${captured.peakRssMb} MB vs ${uncaptured.peakRssMb} MB with -C no`;
    assert.ok(added < 128, `capturing a 64 MiB line added ${added} MB of peak RSS (${report})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
