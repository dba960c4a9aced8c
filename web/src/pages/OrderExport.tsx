// The order export dialog: layout (a row per order or per line), language and format, then a download read chunk by
// chunk so a large export shows its progress (rows for CSV against the hub's X-Total-Count, bytes for Excel).
import { useState } from 'react';
import { App, Button, Modal, Progress, Radio, Space, Typography } from 'antd';
import { qs } from '../api.ts';
import { useI18n, type Lang } from '../i18n.tsx';

type Layout = 'orders' | 'lines';
type Format = 'csv' | 'xlsx';

/** The name the hub gave the file (RFC 5987 filename* first), or a plain fallback. */
function fileName(disposition: string | null, fallback: string): string {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? '')?.[1];
  if (star) return decodeURIComponent(star);
  return /filename="([^"]+)"/i.exec(disposition ?? '')?.[1] ?? fallback;
}

export function OrderExport({ filter, open, onClose }: { filter: Record<string, string | undefined>; open: boolean; onClose: () => void }) {
  const { t, lang: consoleLang, locale } = useI18n();
  const { message } = App.useApp();
  const [layout, setLayout] = useState<Layout>('orders');
  const [format, setFormat] = useState<Format>('csv');
  const [lang, setLang] = useState<Lang>(consoleLang);
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<{ rows: number; bytes: number; total: number | null } | null>(null);

  const start = async () => {
    setRunning(true);
    setProgress({ rows: 0, bytes: 0, total: null });
    try {
      const res = await fetch(`/api/orders/export${qs({ ...filter, layout, format, lang })}`, { credentials: 'same-origin' });
      if (!res.ok || !res.body) {
        const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
        throw new Error(body?.error?.code ?? String(res.status));
      }
      const total = Number(res.headers.get('x-total-count') ?? NaN);
      const reader = res.body.getReader();
      const chunks: Uint8Array[] = [];
      let rows = -1; // the header line is not a row
      let bytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        bytes += value.length;
        // CSV: a row ends with a line feed (an address with a line break makes this an estimate, capped below).
        if (format === 'csv') for (const b of value) if (b === 10) rows++;
        setProgress({ rows: Math.max(0, rows), bytes, total: Number.isFinite(total) ? total : null });
      }
      const blob = new Blob(chunks as BlobPart[], { type: res.headers.get('content-type') ?? 'application/octet-stream' });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = fileName(res.headers.get('content-disposition'), `orders.${format}`);
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      void message.success(t('export.done').replace('{rows}', (Number.isFinite(total) ? total : Math.max(0, rows)).toLocaleString(locale)));
      onClose();
    } catch (e) {
      void message.error(`${t('export.failed')} (${(e as Error).message})`);
    } finally {
      setRunning(false);
      setProgress(null);
    }
  };

  const percent = progress?.total ? Math.min(99, Math.floor((progress.rows / progress.total) * 100)) : 0;
  return (
    <Modal
      title={t('export.title')}
      open={open}
      onCancel={running ? undefined : onClose}
      closable={!running}
      maskClosable={!running}
      footer={[
        <Button key="cancel" onClick={onClose} disabled={running}>
          {t('common.cancel')}
        </Button>,
        <Button key="start" type="primary" loading={running} onClick={() => void start()} data-testid="export-start">
          {t('export.start')}
        </Button>,
      ]}
    >
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        <div>
          <Typography.Text strong>{t('export.layout')}</Typography.Text>
          <div>
            <Radio.Group value={layout} onChange={(e) => setLayout(e.target.value as Layout)} disabled={running} data-testid="export-layout">
              <Radio value="orders">{t('export.layout.orders')}</Radio>
              <Radio value="lines">{t('export.layout.lines')}</Radio>
            </Radio.Group>
          </div>
        </div>
        <div>
          <Typography.Text strong>{t('export.lang')}</Typography.Text>
          <div>
            <Radio.Group value={lang} onChange={(e) => setLang(e.target.value as Lang)} disabled={running} data-testid="export-lang">
              <Radio value="zh">中文</Radio>
              <Radio value="en">English</Radio>
            </Radio.Group>
          </div>
        </div>
        <div>
          <Typography.Text strong>{t('export.format')}</Typography.Text>
          <div>
            <Radio.Group value={format} onChange={(e) => setFormat(e.target.value as Format)} disabled={running} data-testid="export-format">
              <Radio value="csv">CSV</Radio>
              <Radio value="xlsx">Excel (xlsx)</Radio>
            </Radio.Group>
          </div>
        </div>
        <Typography.Text type="secondary">{t('export.hint')}</Typography.Text>
        {progress && (
          <div data-testid="export-progress">
            {format === 'csv' && progress.total ? (
              <Progress percent={percent} status="active" />
            ) : (
              <Progress percent={99} status="active" showInfo={false} />
            )}
            <Typography.Text type="secondary">
              {format === 'csv' && progress.total
                ? t('export.rows').replace('{rows}', progress.rows.toLocaleString(locale)).replace('{total}', progress.total.toLocaleString(locale))
                : t('export.bytes').replace('{kb}', Math.round(progress.bytes / 1024).toLocaleString(locale))}
            </Typography.Text>
          </div>
        )}
      </Space>
    </Modal>
  );
}
