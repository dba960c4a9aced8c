// 商品对应: platform codes the hub cannot match yet — order lines held as 商品未匹配 (with the orders waiting) and
// listings of every shop in scope — resolved here: map to a hub SKU (picked, not typed), create the SKU and map, or
// ignore a listing. Mapping a code releases every order held for it at once and matches the shop's listings of it.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Form, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { ApiError, get, post, qs } from '../api.ts';
import { count } from '../format.ts';
import { useI18n, type Key } from '../i18n.tsx';
import { useSession } from '../session.tsx';

interface UnmatchedCode {
  accountId: string;
  channel: string;
  externalSku: string;
  title: string;
  heldOrders: number;
  units: number;
}
interface UnmatchedListing {
  id: number;
  accountId: string;
  accountName: string;
  platform: string;
  platformItemId: string;
  platformSkuId: string;
  merchantCode: string | null;
  title: string;
  platformQuantity: number | null;
}
interface Account {
  id: string;
  name: string;
  platform: string;
}
interface ListingPullStatus {
  listingApi: boolean;
  lastPull: { finishedAt: string | null; running: boolean; errorCode: string | null } | null;
}

/** What a row asks to resolve: a code of an account (order lines, listings with a code) or one listing without a code. */
interface Target {
  accountId: string;
  code: string | null;
  listingId: number | null;
  title: string;
}

const errorKeys: Record<string, Key> = {
  SKU_NOT_FOUND: 'matching.err.SKU_NOT_FOUND',
  SKU_EXISTS: 'matching.err.SKU_EXISTS',
  ACCOUNT_NOT_FOUND: 'matching.err.ACCOUNT_NOT_FOUND',
  LISTING_NOT_FOUND: 'matching.err.LISTING_NOT_FOUND',
  FORBIDDEN: 'matching.err.FORBIDDEN',
  VALIDATION_FAILED: 'matching.err.VALIDATION_FAILED',
  PLATFORM_NOT_SUPPORTED: 'matching.noListingApi',
};

export default function Matching() {
  const { t, locale } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const [codes, setCodes] = useState<UnmatchedCode[]>([]);
  const [listings, setListings] = useState<{ items: UnmatchedListing[]; total: number }>({ items: [], total: 0 });
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [pulls, setPulls] = useState<Record<string, ListingPullStatus>>({});
  const [skus, setSkus] = useState<string[]>([]);
  const [page, setPage] = useState(1);
  const [mapping, setMapping] = useState<Target | null>(null);
  const [creating, setCreating] = useState<Target | null>(null);
  const [mapForm] = Form.useForm<{ sku: string }>();
  const [createForm] = Form.useForm<{ sku: string; title: string }>();
  const writable = can('stock.adjust');

  const load = useCallback(() => {
    if (can('orders.read')) get<{ items: UnmatchedCode[] }>('/api/unmatched-codes').then((r) => setCodes(r.items)).catch(() => undefined);
    get<{ items: UnmatchedListing[]; total: number }>(`/api/listings/unmatched${qs({ limit: 50, offset: (page - 1) * 50 })}`).then(setListings).catch(() => undefined);
    get<{ items: { sku: string }[] }>('/api/stock?pageSize=500').then((r) => setSkus(r.items.map((x) => x.sku))).catch(() => undefined);
    if (can('accounts.read')) {
      get<{ items: Account[] }>('/api/channel-accounts')
        .then(async (r) => {
          setAccounts(r.items);
          const out: Record<string, ListingPullStatus> = {};
          for (const a of r.items) out[a.id] = await get<ListingPullStatus>(`/api/channel-accounts/${a.id}/listings/pull`);
          setPulls(out);
        })
        .catch(() => undefined);
    }
  }, [can, page]);
  useEffect(load, [load]);

  const accountName = useMemo(() => new Map(accounts.map((a) => [a.id, a.name])), [accounts]);
  const fail = (e: unknown) => message.error(e instanceof ApiError && errorKeys[e.code] ? t(errorKeys[e.code] as Key) : t('matching.err.other'));
  const n = (v: number | null) => (v === null ? '—' : count(v, locale));

  async function mapTo(target: Target, sku: string) {
    if (target.code !== null) {
      const r = await post<{ rematchedOrders: string[] }>('/api/sku-mappings', { externalSku: target.code, sku, accountId: target.accountId });
      message.success(`${t('matching.mapped')} ${t('matching.released')} ${count(r.rematchedOrders.length, locale)}`);
    } else if (target.listingId !== null) {
      await post(`/api/channel-accounts/${target.accountId}/listings/${target.listingId}/match`, { sku });
      message.success(t('matching.mapped'));
    }
  }

  const actions = (target: Target, listing: UnmatchedListing | null) => (
    <Space>
      <Button size="small" type="primary" disabled={!writable} onClick={() => (mapForm.resetFields(), setMapping(target))} data-testid="map-sku">
        {t('matching.map')}
      </Button>
      <Button
        size="small"
        disabled={!writable}
        onClick={() => (createForm.setFieldsValue({ sku: target.code ?? '', title: target.title }), setCreating(target))}
        data-testid="create-sku"
      >
        {t('matching.create')}
      </Button>
      {listing && (
        <Button
          size="small"
          disabled={!writable}
          onClick={() =>
            void post(`/api/channel-accounts/${listing.accountId}/listings/${listing.id}/ignore`, { ignored: true })
              .then(() => (message.success(t('matching.ignored')), load()))
              .catch(fail)
          }
          data-testid="ignore-listing"
        >
          {t('matching.ignore')}
        </Button>
      )}
    </Space>
  );

  const withoutApi = accounts.filter((a) => pulls[a.id] && !pulls[a.id]?.listingApi);

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Card title={t('matching.ordersTitle')} extra={<Typography.Text type="secondary">{t('matching.ordersHint')}</Typography.Text>}>
        <Table<UnmatchedCode>
          rowKey={(r) => `${r.accountId}:${r.externalSku}`}
          size="middle"
          dataSource={codes}
          pagination={false}
          locale={{ emptyText: t('matching.noneOrders') }}
          columns={[
            { title: t('matching.shop'), dataIndex: 'accountId', render: (v: string) => accountName.get(v) ?? v },
            { title: t('matching.code'), dataIndex: 'externalSku', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
            { title: t('matching.title'), dataIndex: 'title' },
            { title: t('matching.heldOrders'), dataIndex: 'heldOrders', align: 'right', render: (v: number) => <Tag color="orange" data-testid="held-orders">{n(v)}</Tag> },
            { title: t('common.actions'), key: 'actions', render: (_: unknown, r) => actions({ accountId: r.accountId, code: r.externalSku, listingId: null, title: r.title }, null) },
          ]}
        />
      </Card>
      <Card
        title={t('matching.listingsTitle')}
        extra={
          <Space wrap>
            {accounts
              .filter((a) => pulls[a.id]?.listingApi)
              .map((a) => (
                <Button
                  key={a.id}
                  size="small"
                  disabled={!can('accounts.manage')}
                  onClick={() => void post(`/api/channel-accounts/${a.id}/listings/pull`).then(() => message.info(t('matching.pullStarted'))).catch(fail)}
                >
                  {t('matching.pull')} · {a.name}
                </Button>
              ))}
            <Button size="small" onClick={load}>
              {t('common.refresh')}
            </Button>
          </Space>
        }
      >
        {withoutApi.length > 0 && (
          <Alert type="info" showIcon style={{ marginBottom: 12 }} message={`${withoutApi.map((a) => a.name).join('、')}：${t('matching.noListingApi')}`} data-testid="no-listing-api" />
        )}
        {accounts
          .filter((a) => pulls[a.id]?.lastPull?.errorCode)
          .map((a) => (
            <Alert key={a.id} type="warning" showIcon style={{ marginBottom: 12 }} message={`${a.name}：${t('matching.pullFailed')}`} />
          ))}
        <Table<UnmatchedListing>
          rowKey="id"
          size="middle"
          dataSource={listings.items}
          locale={{ emptyText: t('matching.noneListings') }}
          pagination={{ current: page, pageSize: 50, total: listings.total, onChange: setPage }}
          columns={[
            { title: t('matching.shop'), dataIndex: 'accountName' },
            { title: t('matching.merchantCode'), dataIndex: 'merchantCode', render: (v: string | null) => (v ? <Typography.Text code>{v}</Typography.Text> : <Tag>{t('matching.noCode')}</Tag>) },
            { title: t('matching.title'), dataIndex: 'title' },
            { title: t('matching.platformQuantity'), dataIndex: 'platformQuantity', align: 'right', render: n },
            {
              title: t('common.actions'),
              key: 'actions',
              render: (_: unknown, r) => actions({ accountId: r.accountId, code: r.merchantCode, listingId: r.id, title: r.title }, r),
            },
          ]}
        />
      </Card>
      <Modal open={mapping !== null} title={t('matching.map')} onCancel={() => setMapping(null)} onOk={() => mapForm.submit()} destroyOnHidden>
        <Form
          form={mapForm}
          layout="vertical"
          onFinish={(v) => {
            if (!mapping) return;
            void mapTo(mapping, v.sku)
              .then(() => (setMapping(null), load()))
              .catch(fail);
          }}
        >
          <Typography.Paragraph>
            {t('matching.code')}: <Typography.Text code>{mapping?.code ?? mapping?.title}</Typography.Text>
          </Typography.Paragraph>
          <Form.Item name="sku" label={t('matching.hubSku')} rules={[{ required: true }]}>
            <Select showSearch placeholder={t('matching.pickSku')} options={skus.map((s) => ({ value: s, label: s }))} data-testid="sku-picker" />
          </Form.Item>
        </Form>
      </Modal>
      <Modal open={creating !== null} title={t('matching.create')} onCancel={() => setCreating(null)} onOk={() => createForm.submit()} destroyOnHidden>
        <Form
          form={createForm}
          layout="vertical"
          onFinish={(v) => {
            if (!creating) return;
            void post('/api/skus', { sku: v.sku.trim(), title: v.title.trim() })
              .then(() => mapTo(creating, v.sku.trim()))
              .then(() => (setCreating(null), load()))
              .catch(fail);
          }}
        >
          <Form.Item name="sku" label={t('matching.hubSku')} rules={[{ required: true, whitespace: true }]}>
            <Input data-testid="new-sku" />
          </Form.Item>
          <Form.Item name="title" label={t('matching.title')} rules={[{ required: true, whitespace: true }]}>
            <Input />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}
