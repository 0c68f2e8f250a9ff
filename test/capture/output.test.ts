import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOutputCapture } from '../../packages/core/src/capture/output.js';
import { UsageError } from '../../packages/core/src/errors.js';
import { tempDir } from './fixture-tree.js';

const fixtures = fileURLToPath(new URL('../fixtures/capture/output/', import.meta.url));

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  captured: Record<string, unknown>;
}

function runFixture(name: string): Promise<ChildResult> {
  const resultFile = path.join(tempDir('output'), 'result.json');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--conditions=@ritual/source', '--import', 'tsx', path.join(fixtures, name), resultFile],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') return reject(error);
        try {
          const captured = JSON.parse(readFileSync(resultFile, 'utf8')) as Record<string, unknown>;
          resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr, captured });
        } catch (cause) {
          reject(new Error(`fixture ${name} wrote no result; stderr: ${stderr}`, { cause }));
        }
      },
    );
  });
}

test("'no' records nothing", () => {
  const capture = startOutputCapture('no');
  assert.equal(capture.drain(), '');
  capture.stop();
  assert.equal(capture.drain(), '');
  assert.equal(capture.pendingBytes, 0);
});

test("'sys' records every JavaScript write, still prints it, collapses progress, and restores the streams", async () => {
  const { stdout, stderr, captured } = await runFixture('sys-capture.ts');
  // The terminal still sees everything, redraws included.
  assert.ok(
    stdout.includes('before capture\nplain write\nconsole.log 42\n'),
    "stdout.includes('before capture\\nplain write\\nconsole.log 42\\n')",
  );
  assert.ok(stdout.includes('hi with hex \n€\n'), "stdout.includes('hi with hex \\n€\\n')");
  assert.ok(
    stderr.includes('console.error line\nepoch 1 10%\repoch 1 50%\repoch 1 100%\n'),
    "stderr.includes('console.error line\\nepoch 1 10%\\repoch 1 50%\\repoch 1 100%\\n')",
  );
  assert.ok(stdout.includes('unfinished\nafter capture\n'), "stdout.includes('unfinished\\nafter capture\\n')");

  // The first drain holds the unfinished progress line back; the second has its final state.
  assert.equal(
    captured['first'],
    'plain write\nconsole.log 42\nconsole.error line\nbuffer write ü\nuint8 write\nhi with hex \n€\n',
  );
  assert.equal(captured['second'], 'stdout line while stderr draws\nepoch 1 100%\n');
  assert.equal(captured['empty'], '');
  assert.equal(captured['rest'], 'unfinished');
  assert.equal(captured['restored'], true);
  assert.equal(captured['innerRest'], 'inner capture line\n');
  assert.equal(captured['wrapperKept'], true, 'stop() does not discard a wrapper installed after the capture');
  assert.equal(captured['afterStop'], '');
  assert.deepEqual(captured['seenByUser'], ['inner capture line\n', 'after inner stop\n']);
  assert.ok(
    stdout.includes('inner capture line\nafter inner stop\n'),
    "stdout.includes('inner capture line\\nafter inner stop\\n')",
  );
  const all = `${captured['first']}${captured['second']}${captured['rest']}`;
  assert.ok(
    !all.includes('before capture') && !all.includes('after capture') && !all.includes('50%'),
    "!all.includes('before capture') && !all.includes('after capture') && !all.includes('50%')",
  );
});

test("'fd' catches direct fd writes and a child's inherited output, through a relaunch", async () => {
  const { code, stdout, stderr, captured } = await runFixture('fd-capture.ts');
  assert.equal(code, 7, 'the relaunching parent exits with the child exit code');
  // Terminal output is byte-for-byte what the child wrote, without sync markers.
  assert.ok(stdout.includes('console line\ndirect fd 1\n'), "stdout.includes('console line\\ndirect fd 1\\n')");
  assert.ok(stdout.includes('grandchild stdout\n'), "stdout.includes('grandchild stdout\\n')");
  assert.ok(stdout.includes('grand 10%\rgrand 100%\n'), "stdout.includes('grand 10%\\rgrand 100%\\n')");
  assert.ok(stdout.includes('bar 10%\rbar 100%\n'), "stdout.includes('bar 10%\\rbar 100%\\n')");
  assert.ok(
    stderr.includes('direct fd 2\n') && stderr.includes('grandchild stderr\n'),
    "stderr.includes('direct fd 2\\n') && stderr.includes('grandchild stderr\\n')",
  );
  assert.ok(
    !stdout.includes('ritual-sync') && !stderr.includes('ritual-sync'),
    "!stdout.includes('ritual-sync') && !stderr.includes('ritual-sync')",
  );
  assert.ok(
    stdout.includes('look-alike \x1b]ritual-not-a-marker\n'),
    'a partial look-alike is held back, then passed on unchanged',
  );

  const all = `${captured['first']}${captured['rest']}`;
  for (const line of [
    'console line\n',
    'direct fd 1\n',
    'direct fd 2\n',
    'grandchild stdout\n',
    'grandchild stderr\n',
    'grand 100%\n',
    'bar 100%\n',
  ]) {
    assert.ok(
      (captured['first'] as string).includes(line),
      `first drain has ${JSON.stringify(line)}: ${JSON.stringify(captured['first'])}`,
    );
  }
  assert.ok(!all.includes('10%'), 'progress collapsed');
  assert.ok((captured['rest'] as string).includes('late line\n'), 'stop() returns everything written before it');
  assert.ok(
    (captured['rest'] as string).includes('unfinished on stderr'),
    "(captured['rest'] as string).includes('unfinished on stderr')",
  );
  assert.ok(
    !all.includes('before capture') && !all.includes('after capture'),
    "!all.includes('before capture') && !all.includes('after capture')",
  );
  assert.equal(captured['inheritedEnv'], null, 'grandchildren do not inherit the relay');
});

test("'fd' without a relaunch is a UsageError that says what to do", () => {
  assert.throws(
    () => startOutputCapture('fd'),
    (error: unknown) => error instanceof UsageError && /relaunchForFdCapture/.test(error.message),
  );
});

test("'fd': a signal sent to the relaunching parent is forwarded; the parent exits with 128 + signal", async () => {
  const parent = spawn(
    process.execPath,
    ['--conditions=@ritual/source', '--import', 'tsx', path.join(fixtures, 'fd-signal.ts')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  const childPid = await new Promise<number>((resolve, reject) => {
    parent.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /ready (\d+)\n/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    parent.once('exit', () => reject(new Error(`parent exited early: ${out}`)));
  });
  assert.notEqual(childPid, parent.pid, 'the run happens in a relaunched child');
  const exited = new Promise<number | null>((resolve) => parent.once('exit', (code) => resolve(code)));
  parent.kill('SIGTERM');
  assert.equal(await exited, 128 + 15);
  assert.throws(() => process.kill(childPid, 0), /ESRCH/, 'the child is gone too');
});
