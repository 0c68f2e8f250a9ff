import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('../fixtures/core/flood-experiment.ts', import.meta.url));

test('100 MB of output, invalid UTF-8, binary bytes and a 40 MB line: the run finishes, memory stays bounded, stored output is valid', async () => {
  const runs = mkdtempSync(join(tmpdir(), 'ritual-flood-'));
  const child = spawn(
    process.execPath,
    ['--conditions=@ritual/source', '--import', 'tsx', fixture, '-F', runs, '-b', '0.2', 'with', 'longLine=40000000'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let seen = 0;
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (seen += chunk.length));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  assert.ok(seen > 100e6, 'everything still reached the terminal');
  const run = JSON.parse(readFileSync(join(runs, '1', 'run.json'), 'utf8'));
  assert.equal(run.status, 'COMPLETED');
  const rssMb = Number(/RSS_MB=(\d+)/.exec(stderr)?.[1]);
  assert.ok(rssMb < 600, `resident memory grew to ${rssMb} MB while writing 140 MB`);
  const cout = join(runs, '1', 'cout.txt');
  assert.ok(statSync(cout).size > 100e6, 'the output was stored');
  const text = readFileSync(cout, 'utf8');
  assert.ok(!text.includes('\r'), 'progress redraws are collapsed');
  assert.match(text, /^progress 100%$/m);
  assert.ok(Buffer.from(text, 'utf8').equals(readFileSync(cout)), 'stored output is valid UTF-8');
});
