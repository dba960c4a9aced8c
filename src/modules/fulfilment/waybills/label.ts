// Shipping labels (面单) as PDF, 76×130 mm or 100×180 mm, one page per parcel: the waybill number as a Code 128
// barcode, the carrier and sort code, receiver and sender as masked as the platform's print data allows, the order
// numbers and an item summary. Pure rendering (no database): the waybill service gathers what goes on it.
import { existsSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import bwipjs from 'bwip-js';
import { HubError } from '../../../kernel/errors.ts';

export const labelSizes = { '76x130': [76, 130], '100x180': [100, 180] } as const;
export type LabelSize = keyof typeof labelSizes;

/** The CJK font the machines have (Debian fonts-wqy-zenhei): labels print Chinese names and addresses. */
export const defaultLabelFont = '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc';

export interface LabelData {
  waybillNo: string;
  /** The carrier as people read it (中通快递). */
  carrierName: string;
  sortCode: string | null;
  receiver: { name: string; phone: string; address: string };
  sender: { name: string; phone: string; address: string };
  orderNos: string[];
  items: { title: string; quantity: number }[];
}

const pt = (mm: number) => (mm * 72) / 25.4;

/** The barcode as a PNG, bars only (the number is written under it by the label, in the label's font). */
async function barcodePng(text: string): Promise<Buffer> {
  return bwipjs.toBuffer({ bcid: 'code128', text, scale: 4, height: 12, includetext: false, paddingwidth: 0, paddingheight: 0 });
}

function checkedFont(path: string): string {
  if (!existsSync(path)) throw new HubError('LABEL_FONT_MISSING', `the label font ${path} is missing: install the Chinese font (Debian: apt-get install fonts-wqy-zenhei)`, { path });
  return path;
}

/** One PDF with a page per label, in the order given; `fontFile` is for tests of a machine without the font. */
export async function renderLabels(labels: readonly LabelData[], size: LabelSize, fontFile = defaultLabelFont): Promise<Buffer> {
  const font = checkedFont(fontFile);
  const [wMm, hMm] = labelSizes[size];
  const W = pt(wMm);
  const H = pt(hMm);
  const m = pt(3);
  const scale = wMm / 76;
  const doc = new PDFDocument({ size: [W, H], margin: 0, autoFirstPage: false, info: { Title: 'Shipping labels', Producer: 'orderhub' }, compress: true });
  // A .ttc holds several faces: pdfkit takes the face by its PostScript name.
  doc.registerFont('label', font, font.endsWith('.ttc') ? 'WenQuanYiZenHei' : undefined);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  for (const l of labels) {
    const png = await barcodePng(l.waybillNo);
    doc.addPage({ size: [W, H], margin: 0 });
    doc.font('label').fillColor('black');
    const inner = W - 2 * m;
    let y = m;
    // Carrier and sort code: what the sorting centre reads first.
    doc.fontSize(11 * scale).text(l.carrierName, m, y, { width: inner, lineBreak: false });
    y += 14 * scale;
    if (l.sortCode) {
      doc.fontSize(20 * scale).text(l.sortCode, m, y, { width: inner, align: 'center', lineBreak: false });
      y += 24 * scale;
    }
    doc.moveTo(m, y).lineTo(W - m, y).lineWidth(0.8).stroke();
    y += pt(2);
    // The barcode, quiet zones left and right (Code 128 wants ten modules).
    const barH = pt(16) * scale;
    const barW = inner - pt(6);
    doc.image(png, m + pt(3), y, { width: barW, height: barH });
    y += barH + pt(1);
    doc.fontSize(10 * scale).text(l.waybillNo, m, y, { width: inner, align: 'center', characterSpacing: 1, lineBreak: false });
    y += 14 * scale;
    doc.moveTo(m, y).lineTo(W - m, y).stroke();
    y += pt(2);
    doc.fontSize(8 * scale).text('收', m, y, { lineBreak: false });
    doc.fontSize(10 * scale).text(`${l.receiver.name}  ${l.receiver.phone}`, m + pt(5), y, { width: inner - pt(5) });
    y = doc.y + 1;
    doc.fontSize(9 * scale).text(l.receiver.address, m + pt(5), y, { width: inner - pt(5), height: 30 * scale, ellipsis: true });
    y = Math.max(doc.y, y + 12 * scale) + pt(1.5);
    doc.moveTo(m, y).lineTo(W - m, y).stroke();
    y += pt(1.5);
    doc.fontSize(7 * scale).text('寄', m, y, { lineBreak: false });
    doc.fontSize(8 * scale).text(`${l.sender.name}  ${l.sender.phone}  ${l.sender.address}`, m + pt(5), y, { width: inner - pt(5), height: 22 * scale, ellipsis: true });
    y = Math.max(doc.y, y + 10 * scale) + pt(1.5);
    doc.moveTo(m, y).lineTo(W - m, y).stroke();
    y += pt(1.5);
    doc.fontSize(7 * scale).text(`订单 ${l.orderNos.join(', ')}`, m, y, { width: inner, height: 20 * scale, ellipsis: true });
    y = doc.y + 2;
    const summary = l.items.map((i) => `${i.title} ×${i.quantity}`).join('；');
    doc.fontSize(7 * scale).text(summary, m, y, { width: inner, height: Math.max(10, H - m - y), ellipsis: true });
  }
  doc.end();
  return done;
}
