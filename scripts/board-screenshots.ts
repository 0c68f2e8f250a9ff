/**
 * The README's pictures of the board: the main views over a runs folder
 * written by ritual (the browser tests' fixture), taken in Debian's chromium.
 *
 *   node --conditions=@ritual/source --import tsx scripts/board-screenshots.ts   (after npm run build)
 */
import { rm } from 'node:fs/promises';
import { startBoard } from '@ritual/board';
import { makeBoardFixture } from '../test/board/board-fixture.js';
import { launchChromium } from '../test/board/browser.js';

const OUT = new URL('../docs/board/', import.meta.url).pathname;
const dir = await makeBoardFixture();
const board = await startBoard({ stores: [dir] });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const shoot = async (hash: string, file: string, ready: () => Promise<unknown>) => {
    await page.goto(`${board.origin}/${hash}`);
    await ready();
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${OUT}${file}`, fullPage: false });
    console.log(`${OUT}${file}`);
  };
  await shoot('#/runs?store=0&columns=config.lr&metrics=loss', 'runs.png', () =>
    page.getByRole('checkbox', { name: 'Select run 4' }).waitFor(),
  );
  await shoot('#/run?store=0&id=1', 'run.png', () => page.locator('figure canvas').first().waitFor());
  await shoot('#/metrics?store=0&runs=1,2,4', 'metrics.png', () => page.locator('figure canvas').first().waitFor());
  await shoot('#/compare?store=0&runs=1,2,3,4', 'compare.png', () =>
    page.getByRole('img', { name: 'parallel coordinates' }).waitFor(),
  );
} finally {
  await browser.close();
  await board.close();
  await rm(dir, { recursive: true, force: true });
}
