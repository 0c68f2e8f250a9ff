/**
 * The board in a real browser (Debian's chromium through playwright-core),
 * driven as a person uses it: by labels, roles and text.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type Board, startBoard } from '@ritual/board';
import { Experiment } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';
import type { Browser, Page } from 'playwright-core';
import { HOSTILE_NAME, makeBoardFixture } from './board-fixture.js';
import { BROWSER_SKIP, launchChromium } from './browser.js';

let dir = '';
let board: Board;
let browser: Browser;
const dialogs: string[] = [];

before(async () => {
  if (BROWSER_SKIP) return;
  dir = await makeBoardFixture();
  board = await startBoard({ stores: [dir], pollIntervalMs: 250 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await board?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function open(hash = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(`${board.url}${hash}`);
  return page;
}

/**
 * Pixels of a chart's canvas in the colour of its first series (uPlot's axes
 * and grid are grey and black): the line itself was drawn, not just the frame.
 */
interface ImageData {
  data: Uint8ClampedArray;
}

async function drawnPixels(page: Page, chart: string): Promise<number> {
  const canvas = page.getByRole('figure', { name: `chart ${chart}` }).locator('canvas');
  await canvas.waitFor();
  return canvas.evaluate((element) => {
    // the tests compile without the DOM library: the canvas, as much of it as is read here
    const c = element as unknown as {
      width: number;
      height: number;
      getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): ImageData } | null;
    };
    const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
    let count = 0;
    // #1f77b4, the first series' stroke, give or take anti-aliasing
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0, data[i + 3] ?? 0];
      if (a > 128 && Math.abs(r - 31) < 40 && Math.abs(g - 119) < 40 && Math.abs(b - 180) < 40) count++;
    }
    return count;
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function rowIds(page: Page): Promise<string[]> {
  return page.locator('table.runs tbody tr td:nth-child(2)').allInnerTexts();
}

describe('the board in a browser', { skip: BROWSER_SKIP }, () => {
  it('lists the runs, shows the malformed folder, and renders a hostile name as text', async () => {
    const page = await open();
    await page.getByRole('checkbox', { name: 'Select run 4' }).waitFor();
    assert.deepEqual(await rowIds(page), ['1', '2', '3', '4']);
    assert.equal(await page.getByRole('cell', { name: HOSTILE_NAME, exact: true }).count(), 1);
    assert.equal(await page.locator('img').count(), 0, 'the name did not become an element');
    assert.match(await page.getByRole('alert').innerText(), /Malformed runs[\s\S]*run 5/);
    await page.goto(`${board.url}#/run?store=0&id=4`);
    await page.getByRole('heading', { name: /Run 4:/ }).waitFor();
    assert.match(await page.getByRole('heading', { name: /Run 4:/ }).innerText(), /<img src=x onerror=alert\(1\)>/);
    assert.deepEqual(dialogs, []);
    await page.close();
  });

  it('filters with the where syntax, marks a syntax error at its character, and sorts', async () => {
    const page = await open();
    await page.getByLabel('Filter runs').fill('config.lr < 0.05');
    await page.getByLabel('Filter runs').press('Enter');
    await waitFor(async () => (await rowIds(page)).join() === '2', 5000, 'only run 2');
    // the view is a URL: the filter is in it, so it can be bookmarked and shared
    assert.equal(new URLSearchParams(page.url().split('?')[1]).get('where'), 'config.lr < 0.05');
    await page.getByLabel('Filter runs').fill('config.lr < and x');
    await page.getByLabel('Filter runs').press('Enter');
    const alert = page.getByRole('alert').filter({ hasText: 'position 13' });
    await alert.waitFor();
    assert.equal(await alert.locator('mark').innerText(), 'a');
    await page.getByLabel('Filter runs').fill('');
    await page.getByLabel('Filter runs').press('Enter');
    await page.getByRole('button', { name: 'result' }).click();
    await page.getByRole('button', { name: 'result ▲' }).click();
    await waitFor(async () => (await rowIds(page)).join() === '2,1,4,3', 5000, 'sorted by -result');
    await page.close();
  });

  it('opens a run: its chart is drawn, its artifact downloads byte for byte', async () => {
    const page = await open();
    await page.getByRole('link', { name: '1', exact: true }).click();
    await page.getByRole('heading', { name: /Run 1:/ }).waitFor();
    await waitFor(async () => (await drawnPixels(page, 'loss')) > 200, 10_000, 'the loss curve drawn');
    assert.match(await page.getByRole('region', { name: 'Captured output' }).innerText(), /training with lr=0.1/);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download report.json' }).click(),
    ]);
    const saved = await download.path();
    assert.deepEqual(JSON.parse(await readFile(saved, 'utf8')), { accuracy: 0.97, note: '<b>not bold</b>' });
    await page.getByRole('button', { name: 'Preview report.json' }).click();
    const preview = page.getByRole('figure', { name: 'preview of report.json' });
    assert.match(await preview.innerText(), /"note": "<b>not bold<\/b>"/);
    assert.equal(await preview.locator('b').count(), 0);
    await page.close();
  });

  it('compares two selected runs with the differing config marked', async () => {
    const page = await open();
    await page.getByRole('checkbox', { name: 'Select run 1' }).check();
    await page.getByRole('checkbox', { name: 'Select run 2' }).check();
    await page.getByRole('button', { name: 'Compare selected (2)' }).click();
    const lr = page.locator('table.compare tr', { has: page.getByRole('rowheader', { name: 'lr', exact: true }) });
    await lr.waitFor();
    assert.deepEqual(await lr.locator('td').allInnerTexts(), ['0.1000', '0.01000']);
    assert.equal(await lr.getAttribute('class'), 'differs');
    const parallel = page.getByRole('img', { name: 'parallel coordinates' });
    assert.equal(await parallel.locator('polyline').count(), 2);
    // each axis says its own range at its own ends (the runs' lr 0.1 and 0.01, results 0.9 and 0.99)
    assert.deepEqual(await parallel.locator('text').allTextContents(), [
      'lr',
      'max 0.1000',
      'min 0.01000',
      'result',
      'max 0.9900',
      'min 0.9000',
    ]);
    await page.close();
  });

  it('follows a live run: its status and chart update without a reload', async () => {
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    let started = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const ex = new Experiment('live').main(async ({ run }) => {
      let i = 0;
      const timer = setInterval(() => {
        run.logScalar('x', i, i);
        i++;
      }, 20);
      started();
      await stopped;
      clearInterval(timer);
      return i;
    });
    ex.observe(new FileStorageObserver(dir));
    const finished = ex.run({ options: { loglevel: 'ERROR', beatInterval: 0.5, systemInterval: 0 } });
    try {
      await running;
      const page = await open('#/run?store=0&id=6');
      const heading = page.getByRole('heading', { name: /Run 6:/ });
      await waitFor(async () => /RUNNING/.test(await heading.innerText().catch(() => '')), 10_000, 'RUNNING');
      const caption = page.getByRole('figure', { name: 'chart x' }).locator('figcaption');
      const points = async () => Number(/(\d+) points?/.exec(await caption.innerText().catch(() => ''))?.[1] ?? 0);
      await waitFor(async () => (await points()) > 0, 10_000, 'the first points');
      const first = await points();
      const before = Date.now();
      await waitFor(async () => (await points()) > first, 5000, 'more points without a reload');
      assert.ok(Date.now() - before < 5000);
      assert.ok((await drawnPixels(page, 'x')) > 50);
      stop();
      await finished;
      await waitFor(async () => /COMPLETED/.test(await heading.innerText()), 5000, 'COMPLETED');
      await page.close();
    } finally {
      stop();
    }
  });
});
