// Adjusting one stock row, done right: SKU and warehouse picked from lists (with product names), a reason, a review of
// before → after before anything is written, and a message either way. Beside it, a SKU's movement ledger (出入库流水).
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Descriptions, Drawer, Form, Input, InputNumber, Modal, Select, Space, Table, Typography } from 'antd';
import { ApiError, get, put, qs } from '../api.ts';
import { count, dateTime } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import type { StockView } from '../types.ts';

interface WarehouseOption {
  code: string;
  name: string;
}

interface Movement {
  id: number;
  warehouse: string;
  at: string;
  cause: string;
  reason: string | null;
  actor: string | null;
  ref: string | null;
  onHand: { before: number; after: number };
  reserved: { before: number; after: number };
}

const fill = (text: string, vars: Record<string, string | number>) => text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));

/** A server refusal in the person's language where the catalogue has it, else the server's own words. */
function useFailure() {
  const { t } = useI18n();
  return (e: unknown) => {
    if (e instanceof ApiError) {
      const known = (t as (k: string) => string | undefined)(`stock.err.${e.code}`);
      return known ?? e.message;
    }
    return String(e);
  };
}

/** SKUs matching what is typed (code or product name), as options "code · name". */
function useSkuSearch() {
  const [options, setOptions] = useState<{ value: string; label: string }[]>([]);
  const search = useCallback((q: string) => {
    get<{ items: StockView[] }>(`/api/stock${qs({ q: q || undefined, page: 1, pageSize: 50 })}`)
      .then((r) => setOptions(r.items.filter((i) => !i.components).map((i) => ({ value: i.sku, label: i.title ? `${i.sku} · ${i.title}` : i.sku }))))
      .catch(() => undefined);
  }, []);
  useEffect(() => search(''), [search]);
  return { options, search };
}

export function StockAdjustModal({ open, onClose, onSaved }: { open: boolean; onClose: () => void; onSaved: () => void }) {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  const failure = useFailure();
  const [form] = Form.useForm<{ sku: string; warehouse: string; onHand: number; safetyStock?: number; reason: string }>();
  const { options, search } = useSkuSearch();
  const [warehouses, setWarehouses] = useState<WarehouseOption[] | null>(null);
  const [review, setReview] = useState<{ sku: string; title: string; warehouse: string; before: number; after: number; safetyStock?: number; reason: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!open) return;
    setReview(null);
    setError(null);
    get<WarehouseOption[]>('/api/warehouses')
      .then(setWarehouses)
      .catch(() => setWarehouses([]));
  }, [open]);

  const toReview = async (v: { sku: string; warehouse: string; onHand: number; safetyStock?: number; reason: string }) => {
    try {
      const cur = await get<StockView>(`/api/stock/${encodeURIComponent(v.sku)}`);
      const row = cur.byWarehouse.find((w) => w.warehouse === v.warehouse);
      setReview({ sku: v.sku, title: cur.title ?? '', warehouse: v.warehouse, before: row?.onHand ?? 0, after: v.onHand, safetyStock: v.safetyStock, reason: v.reason.trim() });
    } catch (e) {
      setError(failure(e));
    }
  };

  const save = () => {
    if (!review) return;
    setBusy(true);
    put(`/api/stock/${encodeURIComponent(review.sku)}`, {
      warehouse: review.warehouse,
      onHand: review.after,
      reason: review.reason,
      ...(review.safetyStock !== undefined ? { safetyStock: review.safetyStock } : {}),
    })
      .then(() => {
        message.success(fill(t('stock.saved'), { sku: review.sku, warehouse: review.warehouse, before: count(review.before, locale), after: count(review.after, locale) }));
        onSaved();
        onClose();
      })
      .catch((e: unknown) => {
        const text = fill(t('stock.failed'), { message: failure(e) });
        setError(text);
        message.error(text);
      })
      .finally(() => setBusy(false));
  };

  const whName = (code: string) => warehouses?.find((w) => w.code === code)?.name ?? code;

  return (
    <Modal
      open={open}
      title={review ? t('stock.review') : t('stock.adjust')}
      onCancel={review ? () => setReview(null) : onClose}
      cancelText={t('common.cancel')}
      okText={t('common.confirm')}
      okButtonProps={{ loading: busy, ...({ 'data-testid': review ? 'stock-confirm' : 'stock-next' } as Record<string, string>) }}
      onOk={() => (review ? save() : form.submit())}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} data-testid="stock-error" />}
      {warehouses && warehouses.length === 0 && <Alert type="warning" showIcon message={t('stock.noWarehouses')} style={{ marginBottom: 12 }} />}
      <div style={{ display: review ? 'none' : undefined }}>
        <Form form={form} layout="vertical" onFinish={(v) => void toReview(v)}>
          <Form.Item name="sku" label={t('stock.sku')} rules={[{ required: true }]}>
            <Select showSearch filterOption={false} onSearch={search} options={options} placeholder={t('stock.pickSku')} data-testid="stock-sku" />
          </Form.Item>
          <Form.Item name="warehouse" label={t('order.warehouse')} rules={[{ required: true }]}>
            <Select
              showSearch
              optionFilterProp="label"
              placeholder={t('stock.pickWarehouse')}
              options={(warehouses ?? []).map((w) => ({ value: w.code, label: w.name && w.name !== w.code ? `${w.code} · ${w.name}` : w.code }))}
              data-testid="stock-warehouse"
            />
          </Form.Item>
          <Space>
            <Form.Item name="onHand" label={t('stock.newOnHand')} rules={[{ required: true }]}>
              <InputNumber min={0} precision={0} data-testid="stock-onhand" />
            </Form.Item>
            <Form.Item name="safetyStock" label={t('stock.safety')}>
              <InputNumber min={0} precision={0} />
            </Form.Item>
          </Space>
          <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, whitespace: true }]}>
            <Input maxLength={500} placeholder={t('stock.reasonHint')} data-testid="stock-reason" />
          </Form.Item>
        </Form>
      </div>
      {review && (
        <div data-testid="stock-review">
          <Typography.Paragraph>{t('stock.reviewText')}</Typography.Paragraph>
          <Descriptions column={1} size="small" bordered>
            <Descriptions.Item label={t('stock.sku')}>{review.title ? `${review.sku} · ${review.title}` : review.sku}</Descriptions.Item>
            <Descriptions.Item label={t('order.warehouse')}>{whName(review.warehouse)}</Descriptions.Item>
            <Descriptions.Item label={t('stock.onHand')}>
              <strong data-testid="stock-before-after">
                {count(review.before, locale)} → {count(review.after, locale)}
              </strong>
              {review.before === review.after && <Typography.Text type="secondary"> ({t('stock.noChange')})</Typography.Text>}
            </Descriptions.Item>
            {review.safetyStock !== undefined && <Descriptions.Item label={t('stock.safety')}>{count(review.safetyStock, locale)}</Descriptions.Item>}
            <Descriptions.Item label={t('common.reason')}>{review.reason}</Descriptions.Item>
          </Descriptions>
        </div>
      )}
    </Modal>
  );
}

/** One SKU's movements, newest first, with a warehouse filter and "load more". */
export function StockLedgerDrawer({ sku, warehouses, onClose }: { sku: string | null; warehouses: string[]; onClose: () => void }) {
  const { t, locale } = useI18n();
  const { me } = useSession();
  const [warehouse, setWarehouse] = useState<string | undefined>(undefined);
  const [items, setItems] = useState<Movement[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const load = useCallback(
    (before?: number) => {
      if (!sku) return;
      get<{ items: Movement[]; nextBefore: number | null }>(`/api/stock/${encodeURIComponent(sku)}/movements${qs({ warehouse, before, limit: 50 })}`)
        .then((r) => {
          setItems((old) => (before ? [...old, ...r.items] : r.items));
          setNext(r.nextBefore);
        })
        .catch(() => undefined);
    },
    [sku, warehouse],
  );
  useEffect(() => load(), [load]);
  useEffect(() => setWarehouse(undefined), [sku]);
  const n = (v: number) => count(v, locale);
  const cause = (c: string) => (t as (k: string) => string | undefined)(`stock.cause.${c}`) ?? c;
  return (
    <Drawer open={sku !== null} onClose={onClose} width={960} title={sku ? fill(t('stock.ledgerOf'), { sku }) : ''} destroyOnHidden>
      <Space style={{ marginBottom: 12 }}>
        <Select
          allowClear
          style={{ width: 220 }}
          placeholder={t('stock.allWarehouses')}
          value={warehouse}
          onChange={(v: string | undefined) => setWarehouse(v)}
          options={warehouses.map((w) => ({ value: w, label: w }))}
        />
      </Space>
      <Table<Movement>
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={items}
        data-testid="stock-ledger"
        columns={[
          { title: t('stock.at'), dataIndex: 'at', render: (v: string) => dateTime(v, me?.timezone ?? 'Asia/Shanghai', locale) },
          { title: t('order.warehouse'), dataIndex: 'warehouse' },
          { title: t('stock.cause'), dataIndex: 'cause', render: cause },
          { title: t('stock.onHand'), key: 'onHand', align: 'right', render: (_: unknown, m) => `${n(m.onHand.before)} → ${n(m.onHand.after)}` },
          { title: t('stock.reserved'), key: 'reserved', align: 'right', render: (_: unknown, m) => `${n(m.reserved.before)} → ${n(m.reserved.after)}` },
          { title: t('stock.actor'), dataIndex: 'actor', render: (v: string | null) => v ?? t('stock.system') },
          { title: t('common.reason'), dataIndex: 'reason', render: (v: string | null) => v ?? '—' },
          { title: t('stock.ref'), dataIndex: 'ref', render: (v: string | null) => v ?? '—' },
        ]}
      />
      {next !== null && (
        <Button style={{ marginTop: 12 }} onClick={() => load(next)}>
          {t('stock.more')}
        </Button>
      )}
    </Drawer>
  );
}

