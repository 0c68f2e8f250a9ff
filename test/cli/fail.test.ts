import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { FIXTURE_RUNS, runCli } from './run-cli.js';

function copyOfFixtures(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'ritual-fail-')), 'runs');
  cpSync(FIXTURE_RUNS, dir, { recursive: true });
  return dir;
}

test('ritual fail marks a probably-dead run FAILED, stopped at its last heartbeat, with a reason', async () => {
  const runs = copyOfFixtures();
  const result = await runCli(['fail', runs, '3']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Run 3 marked FAILED/);
  const run = JSON.parse(readFileSync(join(runs, '3', 'run.json'), 'utf8'));
  assert.equal(run.status, 'FAILED');
  assert.equal(run.stop_time, run.heartbeat);
  assert.match(run.fail_trace.join(''), /ritual fail[\s\S]*heartbeats/);
  const listed = await runCli(['ls', runs, '--json']);
  assert.match(listed.stdout, /"FAILED"/);
});

test('ritual fail refuses a finished run, and a live-looking one without --force', async () => {
  const runs = copyOfFixtures();
  const finished = await runCli(['fail', runs, '1']);
  assert.equal(finished.code, 2);
  assert.match(finished.stderr, /COMPLETED, not RUNNING/);
  const early = await runCli(['fail', runs, '3'], { now: new Date('2026-11-27T09:15:30Z') });
  assert.equal(early.code, 2);
  assert.match(early.stderr, /less than 2 minutes ago[\s\S]*--force/);
  const forced = await runCli(['fail', runs, '3', '--force'], { now: new Date('2026-11-27T09:15:30Z') });
  assert.equal(forced.code, 0, forced.stderr);
});
