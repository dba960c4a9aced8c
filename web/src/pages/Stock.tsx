// Stock per SKU and warehouse: available vs reserved vs safety stock, low stock highlighted, adjustments.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Form, Input, Modal, Radio, Space, Switch, Table, Tag, Typography } from 'antd';
import { ApiError, get, post, qs } from '../api.ts';
import { StockAdjustModal, StockLedgerDrawer } from './StockAdjust.tsx';
import { count } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import type { AllocationSettings, StockDetail, StockView } from '../types.ts';
import { ChannelShares, useAllocation } from '../allocation.tsx';

/** A SKU's byChannel, read when its row is opened: what each shop is offered (the number a stock push sends). */
function ChannelRow({ sku, settings }: { sku: string; settings: AllocationSettings | null }) {
  const { t } = useI18n();
  const [detail, setDetail] = useState<StockDetail | null>(null);
  useEffect(() => {
    get<StockDetail>(`/api/stock/${encodeURIComponent(sku)}`)
      .then(setDetail)
      .catch(() => undefined);
  }, [sku]);
  if (!detail) return null;
  return (
    <div style={{ marginTop: 12 }} data-testid={`channels-${sku}`}>
      <Typography.Text strong>{t('stock.byChannel')}</Typography.Text>
      <ChannelShares detail={detail} settings={settings} />
    </div>
  );
}

export default function Stock() {
  const { t, locale } = useI18n();
  const { can, me } = useSession();
  const { message } = App.useApp();
  const [low, setLow] = useState(false);
  const [page, setPage] = useState(1);
  const [data, setData] = useState<{ items: StockView[]; total: number } | null>(null);
  const [dialog, setDialog] = useState<'one' | 'bulk' | null>(null);
  const [bulk] = Form.useForm<{ lines: string; reason: string; kind: 'adjust' | 'count' }>();
  const [ledger, setLedger] = useState<StockView | null>(null);
  const { settings } = useAllocation();
  // A warehouse-scoped person is not shown the shops' numbers (they are summed over every warehouse).
  const channelsShown = me?.scope.warehouses === null;

  const load = useCallback(() => {
    get<{ items: StockView[]; total: number }>(`/api/stock${qs({ low: low || undefined, page, pageSize: 50 })}`).then(setData).catch(() => undefined);
  }, [low, page]);
  useEffect(load, [load]);

  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : String(e));
  const n = (v: number) => count(v, locale);

  return (
    <Card
      title={t('nav.stock')}
      extra={
        <Space>
          <Switch checked={low} onChange={(v) => (setLow(v), setPage(1))} /> {t('stock.lowOnly')}
          <Button disabled={!can('stock.adjust')} onClick={() => setDialog('one')} data-testid="stock-adjust">
            {t('stock.adjust')}
          </Button>
          <Button disabled={!can('stock.adjust')} onClick={() => setDialog('bulk')}>
            {t('stock.bulk')}
          </Button>
        </Space>
      }
    >
      <Table<StockView>
        rowKey="sku"
        size="middle"
        dataSource={data?.items ?? []}
        pagination={{ current: page, pageSize: 50, total: data?.total ?? 0, onChange: setPage }}
        rowClassName={(r) => (r.lowStock ? 'low-stock' : '')}
        expandable={{
          expandedRowRender: (r) => (
            <>
              {r.components ? (
                <div data-testid={`bundle-${r.sku}`}>
                  <Typography.Text type="secondary">{t('stock.bundleNote')}</Typography.Text>
                  <Table
                    size="small"
                    rowKey="sku"
                    pagination={false}
                    dataSource={r.components}
                    columns={[
                      { title: t('stock.component'), dataIndex: 'sku' },
                      { title: t('stock.perBundle'), dataIndex: 'quantity', align: 'right', render: n },
                      { title: t('stock.onHand'), dataIndex: 'onHand', align: 'right', render: n },
                      { title: t('stock.available'), dataIndex: 'available', align: 'right', render: n },
                      { title: t('stock.sellable'), dataIndex: 'sellable', align: 'right', render: n },
                    ]}
                  />
                </div>
              ) : (
                <Table
                  size="small"
                  rowKey="warehouse"
                  pagination={false}
                  dataSource={r.byWarehouse}
                  columns={[
                    { title: t('order.warehouse'), dataIndex: 'warehouse' },
                    { title: t('stock.onHand'), dataIndex: 'onHand', align: 'right', render: n },
                    { title: t('stock.reserved'), dataIndex: 'reserved', align: 'right', render: n },
                    { title: t('stock.available'), dataIndex: 'available', align: 'right', render: n },
                    { title: t('stock.safety'), dataIndex: 'safetyStock', align: 'right', render: n },
                    { title: t('stock.sellable'), dataIndex: 'sellable', align: 'right', render: n },
                  ]}
                />
              )}
              {channelsShown && <ChannelRow sku={r.sku} settings={settings} />}
            </>
          ),
        }}
        columns={[
          {
            title: t('stock.sku'),
            dataIndex: 'sku',
            render: (v: string, r) => (
              <Space>
                {v}
                {r.components && <Tag color="blue">{t('stock.bundle')}</Tag>}
                {r.lowStock && <Tag color="red">{t('stock.low')}</Tag>}
              </Space>
            ),
          },
          { title: t('stock.title'), dataIndex: 'title', render: (v: string | undefined) => v || '—' },
          { title: t('stock.onHand'), dataIndex: 'onHand', align: 'right', render: n },
          { title: t('stock.reserved'), dataIndex: 'reserved', align: 'right', render: n },
          { title: t('stock.available'), dataIndex: 'available', align: 'right', render: (v: number, r) => <span style={{ color: r.lowStock ? '#cf1322' : undefined, fontWeight: r.lowStock ? 600 : undefined }}>{n(v)}</span> },
          { title: t('stock.safety'), dataIndex: 'safetyStock', align: 'right', render: n },
          { title: t('stock.sellable'), dataIndex: 'sellable', align: 'right', render: n },
          {
            title: '',
            key: 'ledger',
            render: (_: unknown, r) =>
              r.components ? null : (
                <Button size="small" type="link" onClick={() => setLedger(r)} data-testid={`ledger-${r.sku}`}>
                  {t('stock.ledger')}
                </Button>
              ),
          },
        ]}
      />
      <StockAdjustModal open={dialog === 'one'} onClose={() => setDialog(null)} onSaved={load} />
      <StockLedgerDrawer sku={ledger?.sku ?? null} warehouses={ledger?.byWarehouse.map((w) => w.warehouse) ?? []} onClose={() => setLedger(null)} />
      <Modal open={dialog === 'bulk'} title={t('stock.bulk')} onCancel={() => setDialog(null)} onOk={() => bulk.submit()} destroyOnHidden>
        <Form
          form={bulk}
          layout="vertical"
          onFinish={(v) => {
            const items = v.lines
              .split('\n')
              .map((l) => l.trim())
              .filter(Boolean)
              .map((l) => {
                const [sku = '', warehouse = '', change = ''] = l.split(/[,\t]/).map((x) => x.trim());
                return /^[+-]/.test(change) ? { sku, warehouse, delta: Number(change) } : { sku, warehouse, onHand: Number(change) };
              });
            void post<{ pendingApproval?: unknown }>('/api/stock/adjustments', { items, reason: v.reason, kind: v.kind ?? 'adjust' })
              .then((r) => {
                if (r && 'pendingApproval' in r) message.info(t('common.pendingApproval'));
                else message.success(t('stock.bulkSaved'));
                setDialog(null);
                load();
              })
              .catch(fail);
          }}
        >
          <Form.Item name="lines" label={t('stock.bulkLines')} rules={[{ required: true }]}>
            <Input.TextArea rows={6} placeholder={'A1,WH1,120\nB2,WH1,-3'} />
          </Form.Item>
          <Form.Item name="kind" label={t('stock.cause')} initialValue="adjust">
            <Radio.Group
              options={[
                { value: 'adjust', label: t('stock.cause.adjust') },
                { value: 'count', label: t('stock.cause.count') },
              ]}
            />
          </Form.Item>
          <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, whitespace: true }]}>
            <Input maxLength={500} />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
