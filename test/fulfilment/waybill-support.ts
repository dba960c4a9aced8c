// Helpers for the e-waybill suites: the tests' own TOP and PDD signers (second implementations from the platforms'
// documentation, apart from the clients and the simulators), a recorder of what a simulator received, and a label
// PDF turned into an image (poppler's pdftoppm) whose Code 128 barcode is decoded (ZXing), to check what prints.
import { execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BarcodeFormat, BinaryBitmap, DecodeHintType, HybridBinarizer, MultiFormatReader, RGBLuminanceSource } from '@zxing/library';
import type { PlatformSimulator } from '../../src/sandbox/simulators/types.ts';

/** TOP: every non-empty parameter but sign, sorted, k1v1…; md5 wrapped in the secret, or HMAC-MD5 / HMAC-SHA256; upper hex. */
export function ourTopSign(params: Record<string, string>, secret: string, method = 'md5'): string {
  let text = '';
  for (const k of Object.keys(params).sort()) if (k !== 'sign' && params[k]) text += k + params[k];
  const d = method === 'md5' ? createHash('md5').update(secret + text + secret).digest('hex') : createHmac(method === 'hmac' ? 'md5' : 'sha256', secret).update(text).digest('hex');
  return d.toUpperCase();
}

/** PDD: every parameter but sign, sorted by name, k1v1…, wrapped in the client secret, MD5, upper hex. */
export function ourPddSign(params: Record<string, string>, secret: string): string {
  const text = Object.entries(params)
    .filter(([k]) => k !== 'sign')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => k + v)
    .join('');
  return createHash('md5').update(secret + text + secret).digest('hex').toUpperCase();
}

export interface Seen {
  path: string;
  contentType: string;
  params: Record<string, string>;
}

/** Records each request the simulator receives (the hub's fetch may run in the writer thread, out of the test's reach). */
export function record(sim: PlatformSimulator, out: Seen[]): void {
  const handle = sim.handle.bind(sim);
  sim.handle = (req) => {
    const text = req.body.toString('utf8');
    const params = text.startsWith('{') ? Object.fromEntries(Object.entries(JSON.parse(text) as Record<string, unknown>).map(([k, v]) => [k, String(v)])) : Object.fromEntries(new URLSearchParams(text));
    out.push({ path: req.path, contentType: String(req.headers['content-type'] ?? ''), params });
    return handle(req);
  };
}

export const flip = (t: string, i: number): string => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);

export interface PageImage {
  width: number;
  height: number;
  /** 8-bit grey, row by row. */
  grey: Uint8ClampedArray;
}

/** Every page of a PDF as a grey image at `dpi`, by poppler's pdftoppm. */
export function pdfPages(pdf: Buffer, dpi: number): PageImage[] {
  const dir = mkdtempSync(join(tmpdir(), 'label-'));
  try {
    writeFileSync(join(dir, 'l.pdf'), pdf);
    execFileSync('pdftoppm', ['-r', String(dpi), '-gray', join(dir, 'l.pdf'), join(dir, 'p')]);
    return readdirSync(dir)
      .filter((f) => f.endsWith('.pgm'))
      .sort()
      .map((f) => parsePgm(readFileSync(join(dir, f))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parsePgm(b: Buffer): PageImage {
  // P5, width, height, maxval, each separated by whitespace, then one byte of whitespace and the pixels.
  const fields: string[] = [];
  let i = 0;
  while (fields.length < 4) {
    while (/\s/.test(String.fromCharCode(b[i] as number))) i++;
    let t = '';
    while (!/\s/.test(String.fromCharCode(b[i] as number))) t += String.fromCharCode(b[i++] as number);
    fields.push(t);
  }
  i++;
  const [magic, w, h] = fields;
  if (magic !== 'P5') throw new Error(`not a binary PGM: ${magic}`);
  const width = Number(w);
  const height = Number(h);
  return { width, height, grey: new Uint8ClampedArray(b.subarray(i, i + width * height)) };
}

/**
 * The Code 128 barcode on a page, decoded; null when none reads. The page is read in horizontal bands (a tenth of its
 * height, overlapping): the text around the barcode otherwise throws the reader's whole-page binarisation off.
 */
export function decodeCode128(p: PageImage): string | null {
  const reader = new MultiFormatReader();
  reader.setHints(new Map<DecodeHintType, unknown>([[DecodeHintType.POSSIBLE_FORMATS, [BarcodeFormat.CODE_128]], [DecodeHintType.TRY_HARDER, true]]));
  const band = Math.max(1, Math.round(p.height / 10));
  for (let y = 0; y + band <= p.height; y += Math.max(1, Math.round(band / 2))) {
    const grey = p.grey.slice(y * p.width, (y + band) * p.width);
    try {
      return reader.decode(new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(grey, p.width, band)))).getText();
    } catch {
      reader.reset();
    }
  }
  return null;
}

/** Share of dark pixels on a page (a blank page is 0). */
export function inkShare(p: PageImage): number {
  let dark = 0;
  for (const v of p.grey) if (v < 128) dark++;
  return dark / p.grey.length;
}
