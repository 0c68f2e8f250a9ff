/**
 * The board's HTTP API on a runs folder written by ritual: the runs page
 * (filter, sort, paging, errors at the character), a run, downsampled series
 * value by value, artifacts and sources only from inside their run, the token
 * with --host, read-only, and malformed runs shown as such.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFile, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type Board, startBoard } from '@ritual/board';
import { isRunName } from '../../packages/board/src/board-store.js';
import { accAt, HOSTILE_NAME, lossAt, makeBoardFixture, PNG, POINTS } from './board-fixture.js';

let dir = '';
let board: Board;

before(async () => {
  dir = await makeBoardFixture();
  board = await startBoard({ stores: [dir] });
});

after(async () => {
  await board?.close();
  await rm(dir, { recursive: true, force: true });
});

async function get(path: string): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${board.origin}${path}`);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: response.status, body, headers: response.headers };
}

/** A raw request, so the path reaches the server exactly as written (fetch would normalise `..`). */
function rawGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('runs page API', () => {
  it('lists the runs with status, result and name, and names the malformed folder', async () => {
    const { status, body } = await get('/api/stores/0/runs');
    assert.equal(status, 200);
    assert.equal(body.total, 4);
    assert.deepEqual(
      body.rows.map((r: any) => [r.id, r.status, r.result]),
      [
        [1, 'COMPLETED', 0.9],
        [2, 'COMPLETED', 0.99],
        [3, 'FAILED', null],
        [4, 'COMPLETED', 0.5],
      ],
    );
    assert.equal(body.rows[3].name, HOSTILE_NAME);
    assert.equal(body.malformed.length, 1);
    assert.match(body.malformed[0], /run 5.*not valid JSON/);
  });

  it('filters, sorts and pages on the server', async () => {
    const filtered = await get(`/api/stores/0/runs?where=${encodeURIComponent('config.lr < 0.05')}`);
    assert.deepEqual(
      filtered.body.rows.map((r: any) => r.id),
      [2],
    );
    assert.equal(filtered.body.total, 1);
    const sorted = await get('/api/stores/0/runs?sort=-result');
    assert.deepEqual(
      sorted.body.rows.map((r: any) => r.id),
      [2, 1, 4, 3],
    );
    const second = await get('/api/stores/0/runs?size=3&page=2');
    assert.deepEqual(
      second.body.rows.map((r: any) => r.id),
      [4],
    );
    assert.equal(second.body.total, 4);
    const columns = await get('/api/stores/0/runs?columns=config.lr,config.model.hidden&metrics=loss');
    assert.deepEqual(columns.body.rows[0].columns, { 'config.lr': 0.1, 'config.model.hidden': 16 });
    assert.deepEqual(columns.body.rows[0].metrics, { loss: lossAt(0.1, POINTS - 1) });
  });

  it('answers a bad filter with 400, the message and the position of the character', async () => {
    const { status, body } = await get(`/api/stores/0/runs?where=${encodeURIComponent('config.lr < and x')}`);
    assert.equal(status, 400);
    assert.equal(body.position, 12);
    assert.match(body.error, /position 13: expected a value/);
    const sort = await get('/api/stores/0/runs?sort=config.lr;drop');
    assert.equal(sort.status, 400);
  });
});

describe('one run', () => {
  it('has its metrics, artifacts, config and captured output', async () => {
    const { status, body } = await get('/api/stores/0/runs/1');
    assert.equal(status, 200);
    assert.deepEqual(body.metricNames, ['acc', 'loss']);
    assert.deepEqual(body.artifacts.map((a: any) => a.name).sort(), ['curve.png', 'report.json']);
    assert.equal(body.run.config.lr, 0.1);
    assert.match(body.run.captured_out, /training with lr=0.1/);
  });

  it('shows a malformed run folder as such (422 with the reason), and an unknown run as 404', async () => {
    const broken = await get('/api/stores/0/runs/5');
    assert.equal(broken.status, 422);
    assert.match(broken.body.error, /Run 5 is malformed.*not valid JSON/);
    assert.equal((await get('/api/stores/0/runs/77')).status, 404);
    assert.equal((await get('/api/stores/9/runs')).status, 404);
  });

  it('serves every point of a short series, value by value', async () => {
    const { body } = await get('/api/stores/0/runs/2/series?name=loss&width=800');
    assert.equal(body.pointsInRange, POINTS);
    assert.deepEqual(
      body.x,
      Array.from({ length: POINTS }, (_, i) => i),
    );
    for (const [k, x] of body.x.entries()) assert.equal(body.y[k], lossAt(0.01, x));
  });

  it('downsamples to the width asked and zooms into a range', async () => {
    const narrow = await get('/api/stores/0/runs/2/series?name=acc&width=10');
    assert.ok(narrow.body.x.length <= 40 && narrow.body.x.length >= 10, String(narrow.body.x.length));
    for (const [k, x] of narrow.body.x.entries()) assert.equal(narrow.body.y[k], accAt(0.01, x));
    assert.equal(narrow.body.x[0], 0);
    assert.equal(narrow.body.x.at(-1), POINTS - 1);
    const zoom = await get('/api/stores/0/runs/2/series?name=acc&width=10&from=20&to=29');
    assert.deepEqual(zoom.body.x, [20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    const time = await get('/api/stores/0/runs/2/series?name=acc&width=800&x=time');
    assert.equal(time.body.x.length, POINTS);
    assert.ok(time.body.x[0] > Date.parse('2020-01-01'));
  });
});

describe('artifacts and sources: only from inside their run', () => {
  it('downloads an artifact byte for byte, as an attachment when asked', async () => {
    const response = await fetch(`${board.origin}/api/stores/0/runs/1/artifacts?name=curve.png&download=1`);
    assert.equal(response.status, 200);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), PNG);
    assert.equal(response.headers.get('content-type'), 'image/png');
    assert.match(response.headers.get('content-disposition') ?? '', /attachment; filename\*=UTF-8''curve\.png/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const json = await get('/api/stores/0/runs/1/artifacts?name=report.json');
    assert.deepEqual(json.body, { accuracy: 0.97, note: '<b>not bold</b>' });
  });

  it('refuses paths out of the run: artifact names, source numbers and raw URLs', async () => {
    for (const name of ['../../../etc/passwd', '../1/report.json', '/etc/passwd', 'report.json/../../run.json', '..']) {
      const { status, body } = await get(`/api/stores/0/runs/1/artifacts?name=${encodeURIComponent(name)}`);
      assert.equal(status, 404, name);
      assert.doesNotMatch(JSON.stringify(body), /root:/);
    }
    for (const index of ['-1', '99', '1e9', '..%2F..%2Fetc%2Fpasswd', '0.5']) {
      assert.equal((await get(`/api/stores/0/runs/1/sources/${index}`)).status, 404, index);
    }
    for (const path of [
      '/../../../../etc/passwd',
      '/..%2f..%2f..%2fetc%2fpasswd',
      '/app.js/../../package.json',
      '/%2e%2e/package.json',
    ]) {
      const { status, body } = await rawGet(board.port, path, { host: `127.0.0.1:${board.port}` });
      assert.equal(status, 404, path);
      assert.doesNotMatch(body, /root:|"name"/);
    }
    // a source the run lists is served: the stored copy, byte for byte the file that ran
    const { body: detail } = await get('/api/stores/0/runs/1');
    const index = detail.run.experiment.sources.findIndex(([file]: [string]) => file.endsWith('board-fixture.ts'));
    assert.ok(index >= 0);
    const source = await fetch(`${board.origin}/api/stores/0/runs/1/sources/${index}`);
    assert.equal(source.status, 200);
    assert.equal(await source.text(), await readFile(new URL('./board-fixture.ts', import.meta.url), 'utf8'));
  });

  it('watches only run ids that name a run folder (the live watcher stats files under them)', async () => {
    assert.deepEqual(['1', 'run-7', '..', '../etc', '_sources', '.git', 'a/b', 'a\\b', ''].map(isRunName), [
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    const response = await fetch(`${board.origin}/api/events?store=0&runs=${encodeURIComponent('../..,1')}`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
  });

  it('is read-only', async () => {
    const response = await fetch(`${board.origin}/api/stores/0/runs`, { method: 'POST' });
    assert.equal(response.status, 405);
  });

  it('without --host, answers only to its own address (no DNS rebinding)', async () => {
    const { status } = await rawGet(board.port, '/api/stores', { host: 'attacker.example' });
    assert.equal(status, 403);
    assert.equal((await rawGet(board.port, '/api/stores', { host: `localhost:${board.port}` })).status, 200);
  });
});

describe('with --host: the token', () => {
  it('refuses requests without the token, then takes it from the URL once and from the cookie after', async () => {
    const open = await startBoard({ stores: [dir], host: '127.0.0.1' });
    try {
      assert.ok(open.token && open.token.length >= 32);
      assert.equal(open.url, `${open.origin}/?token=${open.token}`);
      const refused = await fetch(`${open.origin}/api/stores`);
      assert.equal(refused.status, 401);
      assert.match(await refused.text(), /needs its token/);
      assert.equal((await fetch(`${open.origin}/api/stores?token=wrong${open.token.slice(5)}`)).status, 401);
      assert.equal((await fetch(`${open.origin}/`)).status, 401);
      const first = await fetch(open.url, { redirect: 'manual' });
      assert.equal(first.status, 302);
      assert.equal(first.headers.get('location'), '/');
      const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] as string;
      assert.match(cookie, /^ritual_board_token=/);
      assert.match(first.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Strict/);
      const withCookie = await fetch(`${open.origin}/api/stores`, { headers: { cookie } });
      assert.equal(withCookie.status, 200);
      const page = await fetch(`${open.origin}/`, { headers: { cookie } });
      assert.match(await page.text(), /<div id="app">/);
      const bearer = await fetch(`${open.origin}/api/stores/0/runs`, {
        headers: { authorization: `Bearer ${open.token}` },
      });
      assert.equal(bearer.status, 200);
    } finally {
      await open.close();
    }
  });
});
