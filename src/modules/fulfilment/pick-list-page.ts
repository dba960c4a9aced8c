// The pick list as a page to print (拣货单): plain HTML, no script, no external resources, every value escaped.
import type { PickList } from './views.ts';

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The pick list as a page to print (no script, no external resources). */
export function pickListHtml(p: PickList): string {
  const rows = p.items
    .map(
      (i) =>
        `<tr><td>${escapeHtml(i.sku)}</td><td>${escapeHtml(i.title)}${i.bundles.map((b) => `<br><small>组合装 Bundle ${escapeHtml(b.sku)} × ${b.quantity}</small>`).join('')}</td><td class="n">${i.quantity}</td><td>${i.shipments.map((s) => `${escapeHtml(s.shipmentId)} × ${s.quantity}`).join('<br>')}</td><td class="box"></td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>拣货单 Pick list ${escapeHtml(p.waveId)}</title>
<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #333;padding:4px 8px;text-align:left}td.n{text-align:right}td.box{width:3em}@media print{body{margin:0}}</style>
</head><body>
<h1>拣货单 Pick list</h1>
<p>Wave ${escapeHtml(p.waveId)} · ${escapeHtml(p.warehouse)} · ${escapeHtml(p.createdAt ?? '')} · ${p.shipments} shipments · ${p.units} units</p>
<table><thead><tr><th>SKU</th><th>Title</th><th>Qty</th><th>Shipments</th><th>✓</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
