// 库存分配: each shop's share of stock (ratio, its own safety stock, sync on or off) edited in its row; SKUs given to one
// shop; and, for a SKU typed in, what each shop is offered and each shop's listing with its fixed quantity or cap — the
// numbers a stock push sends, read again after every save.
import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Form, InputNumber, Popconfirm, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { get, put } from '../api.ts';
import { useAllocation, useErrorText, wholeIn } from '../allocation.tsx';
import { dateTime } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useMe, useSession } from '../session.tsx';
import type { ShopAllocation } from '../types.ts';
import SkuAllocation from './AllocationSku.tsx';

interface Draft {
  ratioPct: number | null;
  safetyStock: number | null;
  syncEnabled: boolean;
}

const MAX_UNITS = 1_000_000_000;

export default function Allocation() {
  const { t, locale, label } = useI18n();
  const { can } = useSession();
  const me = useMe();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const { settings, reload } = useAllocation();
  const [drafts, setDrafts] = useState<Record<string, Draft>>({});
  const [saving, setSaving] = useState<string | null>(null);
  // Bumped after every save: the SKU view below reads its numbers again.
  const [version, setVersion] = useState(0);
  const [skus, setSkus] = useState<string[]>([]);
  const [exclusiveForm] = Form.useForm<{ sku: string; accountId: string }>();
  const writable = can('stock.adjust');
  const unlimited = me.scope.accounts === null && me.scope.warehouses === null && me.scope.provinces === null;

  useEffect(() => {
    get<{ items: { sku: string }[] }>('/api/stock?pageSize=500')
      .then((r) => setSkus(r.items.map((x) => x.sku)))
      .catch(() => undefined);
  }, []);

  const draftOf = (a: ShopAllocation): Draft => drafts[a.accountId] ?? { ratioPct: a.ratioPct, safetyStock: a.safetyStock, syncEnabled: a.syncEnabled };
  const edit = (a: ShopAllocation, change: Partial<Draft>) => setDrafts((d) => ({ ...d, [a.accountId]: { ...draftOf(a), ...change } }));
  const ratioOk = (d: Draft) => wholeIn(d.ratioPct, 0, 100);
  const safetyOk = (d: Draft) => wholeIn(d.safetyStock, 0, MAX_UNITS);
  const dirty = (a: ShopAllocation) => {
    const d = drafts[a.accountId];
    return d !== undefined && (d.ratioPct !== a.ratioPct || d.safetyStock !== a.safetyStock || d.syncEnabled !== a.syncEnabled);
  };
  const changed = () => {
    reload();
    setVersion((v) => v + 1);
  };

  async function save(a: ShopAllocation) {
    const d = draftOf(a);
    if (!ratioOk(d) || !safetyOk(d)) {
      message.error(t('alloc.err.invalid'));
      return;
    }
    setSaving(a.accountId);
    try {
      await put(`/api/stock-allocation/${encodeURIComponent(a.accountId)}`, { ratioPct: d.ratioPct, safetyStock: d.safetyStock, syncEnabled: d.syncEnabled });
      setDrafts(({ [a.accountId]: _saved, ...rest }) => rest);
      message.success(`${a.accountName}：${t('alloc.saved')}`);
      changed();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setSaving(null);
    }
  }

  const setExclusive = (sku: string, accountId: string | null) =>
    put(`/api/stock/${encodeURIComponent(sku)}/exclusive`, { accountId })
      .then(() => {
        message.success(t(accountId === null ? 'alloc.exclusiveRemoved' : 'alloc.exclusiveAdded'));
        exclusiveForm.resetFields();
        changed();
      })
      .catch((e: unknown) => message.error(errorText(e)));

  const shops = settings?.accounts ?? [];
  const shopName = (id: string) => shops.find((a) => a.accountId === id)?.accountName ?? t('alloc.deletedShop');

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Card title={t('nav.allocation')} data-testid="allocation-shops">
        <Typography.Paragraph type="secondary">{t('alloc.rule')}</Typography.Paragraph>
        {!writable && <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('alloc.readOnly')} data-testid="alloc-read-only" />}
        <Table<ShopAllocation>
          rowKey="accountId"
          size="middle"
          pagination={false}
          loading={settings === null}
          dataSource={shops}
          locale={{ emptyText: t('alloc.noShops') }}
          columns={[
            {
              title: t('alloc.shop'),
              dataIndex: 'accountName',
              render: (v: string, a) => (
                <Space>
                  {v}
                  {!a.active && <Tag>{t('alloc.inactive')}</Tag>}
                </Space>
              ),
            },
            { title: t('alloc.platform'), dataIndex: 'platform', render: (p: string) => <Tag>{label('platform', p)}</Tag> },
            {
              title: t('alloc.ratio'),
              key: 'ratio',
              render: (_: unknown, a) => {
                const d = draftOf(a);
                return (
                  <div>
                    <InputNumber
                      value={d.ratioPct}
                      disabled={!writable}
                      status={ratioOk(d) ? undefined : 'error'}
                      suffix="%"
                      style={{ width: 110 }}
                      onChange={(v) => edit(a, { ratioPct: v })}
                      data-testid="alloc-ratio"
                    />
                    {!ratioOk(d) && (
                      <div>
                        <Typography.Text type="danger" data-testid="alloc-ratio-error">
                          {t('alloc.err.ratio')}
                        </Typography.Text>
                      </div>
                    )}
                  </div>
                );
              },
            },
            {
              title: t('alloc.shopSafety'),
              key: 'safety',
              render: (_: unknown, a) => {
                const d = draftOf(a);
                return (
                  <div>
                    <InputNumber
                      value={d.safetyStock}
                      disabled={!writable}
                      status={safetyOk(d) ? undefined : 'error'}
                      style={{ width: 120 }}
                      onChange={(v) => edit(a, { safetyStock: v })}
                      data-testid="alloc-safety"
                    />
                    {!safetyOk(d) && (
                      <div>
                        <Typography.Text type="danger" data-testid="alloc-safety-error">
                          {t('alloc.err.safety')}
                        </Typography.Text>
                      </div>
                    )}
                  </div>
                );
              },
            },
            {
              title: t('alloc.sync'),
              key: 'sync',
              render: (_: unknown, a) => (
                <Switch
                  checked={draftOf(a).syncEnabled}
                  disabled={!writable}
                  checkedChildren={t('alloc.syncOn')}
                  unCheckedChildren={t('alloc.syncOff')}
                  onChange={(on) => edit(a, { syncEnabled: on })}
                  data-testid="alloc-sync"
                />
              ),
            },
            {
              title: t('alloc.updatedAt'),
              dataIndex: 'updatedAt',
              render: (v: string | null) => (v ? dateTime(v, me.timezone, locale) : <Typography.Text type="secondary">{t('alloc.default')}</Typography.Text>),
            },
            ...(writable
              ? [
                  {
                    title: t('common.actions'),
                    key: 'actions',
                    render: (_: unknown, a: ShopAllocation) => (
                      <Space>
                        <Button type="primary" size="small" disabled={!dirty(a)} loading={saving === a.accountId} onClick={() => void save(a)} data-testid="alloc-save">
                          {t('common.save')}
                        </Button>
                        {dirty(a) && (
                          <Button size="small" type="link" onClick={() => setDrafts(({ [a.accountId]: _dropped, ...rest }) => rest)}>
                            {t('alloc.discard')}
                          </Button>
                        )}
                      </Space>
                    ),
                  },
                ]
              : []),
          ]}
        />
      </Card>

      <Card title={t('alloc.exclusiveTitle')} extra={<Typography.Text type="secondary">{t('alloc.exclusiveHint')}</Typography.Text>} data-testid="allocation-exclusive">
        {writable && !unlimited && <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('alloc.exclusiveScope')} />}
        {writable && unlimited && (
          <Form form={exclusiveForm} layout="inline" style={{ marginBottom: 12 }} onFinish={(v) => void setExclusive(v.sku, v.accountId)}>
            <Form.Item name="sku" rules={[{ required: true, message: t('alloc.pickSku') }]}>
              <Select showSearch style={{ width: 220 }} placeholder={t('alloc.pickSku')} options={skus.map((s) => ({ value: s, label: s }))} data-testid="exclusive-sku" />
            </Form.Item>
            <Form.Item name="accountId" rules={[{ required: true, message: t('alloc.pickShop') }]}>
              <Select
                style={{ width: 240 }}
                placeholder={t('alloc.pickShop')}
                options={shops.map((a) => ({ value: a.accountId, label: `${a.accountName}（${label('platform', a.platform)}）` }))}
                data-testid="exclusive-shop"
              />
            </Form.Item>
            <Form.Item>
              <Button htmlType="submit" data-testid="exclusive-add">
                {t('alloc.exclusiveAdd')}
              </Button>
            </Form.Item>
          </Form>
        )}
        <Table
          rowKey="sku"
          size="small"
          pagination={false}
          dataSource={settings?.exclusive ?? []}
          locale={{ emptyText: t('alloc.noExclusive') }}
          columns={[
            { title: 'SKU', dataIndex: 'sku', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
            { title: t('alloc.shop'), dataIndex: 'accountId', render: shopName },
            {
              title: t('common.actions'),
              key: 'actions',
              render: (_: unknown, r: { sku: string }) => (
                <Popconfirm title={t('alloc.exclusiveRemoveConfirm')} okText={t('common.confirm')} cancelText={t('common.cancel')} onConfirm={() => setExclusive(r.sku, null)}>
                  <Button size="small" danger disabled={!writable || !unlimited} data-testid="exclusive-remove">
                    {t('alloc.exclusiveRemove')}
                  </Button>
                </Popconfirm>
              ),
            },
          ]}
        />
      </Card>

      <SkuAllocation settings={settings} skus={skus} version={version} writable={writable} onSaved={changed} />
    </Space>
  );
}
