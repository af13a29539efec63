import type { Browser } from 'playwright-core';

/** What a screenshot holds: its size, how much its pixels vary, and how many colours it uses. */
export interface ImageStats {
  width: number;
  height: number;
  /** Variance of the luminance over all pixels (0 for a blank image). */
  variance: number;
  /** Distinct colours among sampled pixels (1 for a blank image). */
  colours: number;
}

// Runs in the browser; kept as text because the project's type environment has no DOM.
const MEASURE = `async (b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  let sum = 0;
  let sumSq = 0;
  const n = data.length / 4;
  const colours = new Set();
  for (let i = 0; i < data.length; i += 4) {
    const y = 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2];
    sum += y;
    sumSq += y * y;
    if (i % 64 === 0 && colours.size < 10000) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
  }
  const mean = sum / n;
  return { width: bitmap.width, height: bitmap.height, variance: sumSq / n - mean * mean, colours: colours.size };
}`;

/**
 * Decodes a PNG in a blank page of the same browser (no CSP there, and no PNG decoder needed
 * in the project) and measures it, so a test can tell a rendered page from a blank one.
 */
export async function imageStats(browser: Browser, png: Buffer): Promise<ImageStats> {
  const page = await browser.newPage();
  try {
    const stats: unknown = await page.evaluate(`(${MEASURE})(${JSON.stringify(png.toString('base64'))})`);
    return stats as ImageStats;
  } finally {
    await page.close();
  }
}
