/**
 * Whether @tensorflow/tfjs-node loads here, for the tests that train on it.
 * It is not installed by `npm ci` (its install script downloads libtensorflow);
 * `npm run setup:tfjs-node` provisions it. Without it those tests skip with a
 * message naming that command; with RITUAL_REQUIRE_TFJS_NODE=1 (set by CI)
 * they fail instead, so CI cannot go green without having run them.
 */
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { REPO_ROOT } from '../tfjs/child-run.js';

let status: { ok: true } | { ok: false; reason: string } | undefined;

function probe(): { ok: true } | { ok: false; reason: string } {
  // In a child: a broken native library can abort the process that loads it.
  const result = spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node').tensor1d([1]).dataSync()"], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status === 0) return { ok: true };
  const lines = `${result.stderr ?? ''}${result.error?.message ?? ''}`.trim().split('\n');
  const reason = lines.find((line) => /Error|error:/.test(line)) ?? lines.at(-1) ?? `exit ${result.status}`;
  return { ok: false, reason: reason.trim() };
}

/** True when the test may go on; otherwise skips it (or fails it under RITUAL_REQUIRE_TFJS_NODE=1). */
export function requireTfjsNode(t: TestContext): boolean {
  status ??= probe();
  if (status.ok) return true;
  const message = `@tensorflow/tfjs-node does not load (${status.reason}); run \`npm run setup:tfjs-node\``;
  if (process.env.RITUAL_REQUIRE_TFJS_NODE === '1') assert.fail(`RITUAL_REQUIRE_TFJS_NODE=1: ${message}`);
  process.stderr.write(`\n*** SKIPPING tfjs-node test: ${message}\n\n`);
  t.skip(message);
  return false;
}
