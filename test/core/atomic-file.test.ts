/**
 * The atomic-file helper on a full disk: a write that does not fit leaves
 * the target exactly as it was (no truncated file renamed over it, no temp
 * file left behind), and an append that does not fit is cut back whole.
 * The short write that ENOSPC starts with is checked on its own with a
 * handle that writes less than asked, as write(2) does on a nearly full disk.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import {
  appendFileWhole,
  appendFileWholeSync,
  writeFileAtomic,
  writeFileAtomicSync,
  writeFully,
} from '@ritual/core/observer-kit';

/** A handle whose writes take at most `perCall` bytes, and nothing once `capacity` bytes are in. */
function shortWritingHandle(perCall: number, capacity: number): { handle: FileHandle; written: number[] } {
  const written: number[] = [];
  const handle = {
    write: async (bytes: Uint8Array, offset: number, length: number) => {
      const room = capacity - written.length;
      const n = Math.max(0, Math.min(perCall, length, room));
      for (let i = 0; i < n; i++) written.push(bytes[offset + i]!);
      return { bytesWritten: n, buffer: bytes };
    },
  } as unknown as FileHandle;
  return { handle, written };
}

test('writeFully continues short writes until every byte is written', async () => {
  const { handle, written } = shortWritingHandle(3, Infinity);
  const bytes = new TextEncoder().encode('0123456789abcdef');
  await writeFully(handle, bytes);
  assert.equal(Buffer.from(written).toString(), '0123456789abcdef');
});

test('writeFully rejects a write that stops making progress (a full disk), instead of reporting success', async () => {
  const { handle, written } = shortWritingHandle(4, 10);
  await assert.rejects(
    writeFully(handle, new Uint8Array(16), null, 'metrics.json.tmp'),
    /Only 10 of 16 bytes could be written to metrics\.json\.tmp/,
  );
  assert.equal(written.length, 10);
});

function mountTmpfs(size: string): string | { error: string } {
  const mountPoint = mkdtempSync(join(tmpdir(), 'ritual-atomic-full-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (mount.status === 0) return mountPoint;
  rmSync(mountPoint, { recursive: true, force: true });
  return { error: mount.stderr.trim() || `mount exited ${String(mount.status)}` };
}

test('on a full tmpfs: a replacement that does not fit leaves the old file whole, an append that does not fit is undone', async (t) => {
  const mountPoint = mountTmpfs('256k');
  if (typeof mountPoint !== 'string') {
    t.skip(`cannot mount a tmpfs here (${mountPoint.error}); needs root`);
    return;
  }
  try {
    const target = join(mountPoint, 'metrics.json');
    const good = JSON.stringify({ x: { steps: [0, 1, 2], values: [0, 1, 2] } });
    writeFileSync(target, good);
    const tooBig = 'y'.repeat(400 * 1024);

    await assert.rejects(writeFileAtomic(target, tooBig), /ENOSPC|disk full/i);
    assert.equal(readFileSync(target, 'utf8'), good, 'the old content, not a truncated new one');
    assert.throws(() => writeFileAtomicSync(target, tooBig), /ENOSPC|disk full/i);
    assert.equal(readFileSync(target, 'utf8'), good);
    assert.deepEqual(readdirSync(mountPoint), ['metrics.json'], 'no temp file left to fill the disk');

    const log = join(mountPoint, 'log.jsonl');
    writeFileSync(log, '{"step":0}\n');
    await assert.rejects(appendFileWhole(log, tooBig), /ENOSPC|disk full/i);
    assert.equal(readFileSync(log, 'utf8'), '{"step":0}\n', 'no fragment for the next append to glue onto');
    assert.throws(() => appendFileWholeSync(log, tooBig), /ENOSPC|disk full/i);
    assert.equal(readFileSync(log, 'utf8'), '{"step":0}\n');
    await appendFileWhole(log, '{"step":1}\n');
    assert.equal(readFileSync(log, 'utf8'), '{"step":0}\n{"step":1}\n', 'appends go on once there is room');
  } finally {
    spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  }
});
