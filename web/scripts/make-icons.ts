/**
 * Renders public/icons/icon.svg to the PNG icons the manifest lists (192, 512, and a maskable
 * 512 with the glyph inside the 80% safe zone) with headless Chromium. Run after changing the
 * SVG: `npm run -w @parley/web icons` (the PNGs are committed).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const dir = fileURLToPath(new URL('../public/icons/', import.meta.url));
const svg = await readFile(dir + 'icon.svg', 'utf8');
const dataUrl = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--headless'] });
try {
  const page = await browser.newPage();
  const render = async (size: number, maskable: boolean, out: string) => {
    await page.setViewportSize({ width: size, height: size });
    const inset = maskable ? Math.round(size * 0.1) : 0;
    await page.setContent(
      `<body style="margin:0;background:${maskable ? '#1f5f8b' : 'transparent'}"><img src="${dataUrl}" style="display:block;margin:${inset}px;width:${size - 2 * inset}px;height:${size - 2 * inset}px"></body>`,
    );
    await page.waitForFunction(() => document.images[0]?.complete);
    await writeFile(dir + out, await page.screenshot({ omitBackground: !maskable, type: 'png' }));
  };
  await render(192, false, 'icon-192.png');
  await render(512, false, 'icon-512.png');
  await render(512, true, 'maskable-512.png');
  console.log('icons written to', dir);
} finally {
  await browser.close();
}
