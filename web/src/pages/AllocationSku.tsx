// The 库存分配 page's SKU view: for a SKU typed in, its stock, what each shop is offered (byChannel) and each shop's
// listing of it with a fixed quantity or a cap edited in its row; read again whenever a setting on the page is saved.
import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Descriptions, Input, InputNumber, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { ApiError, get, put } from '../api.ts';
import { ChannelShares, useErrorText, wholeIn } from '../allocation.tsx';
import { count, dateTime } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useMe } from '../session.tsx';
import type { AllocationSettings, SkuListing, StockDetail } from '../types.ts';

interface Draft {
  fixedQuantity: number | null;
  capQuantity: number | null;
}

const MAX_UNITS = 1_000_000_000;
/** Empty is "none"; anything else must be a whole number of units. */
const quantityOk = (v: number | null) => v === null || wholeIn(v, 0, MAX_UNITS);

export default function SkuAllocation({
  settings,
  skus,
  version,
  writable,
  onSaved,
}: {
  settings: AllocationSettings | null;
  skus: string[];
  version: number;
  writable: boolean;
  onSaved: () => void;
}) {
  const { t, locale, label } = useI18n();
  const me = useMe();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const [query, setQuery] = useState('');
  const [sku, setSku] = useState<string | null>(null);
  const [detail, setDetail] = useState<StockDetail | null>(null);
  const [listings, setListings] = useState<SkuListing[]>([]);
  const [drafts, setDrafts] = useState<Record<number, Draft>>({});
  const [saving, setSaving] = useState<number | null>(null);
  const [listingVersion, setListingVersion] = useState(0);
  const n = (v: number | null) => (v === null ? '—' : count(v, locale));

  useEffect(() => {
    if (!sku) return;
    let live = true;
    get<StockDetail>(`/api/stock/${encodeURIComponent(sku)}`)
      .then((d) => live && setDetail(d))
      .catch((e: unknown) => {
        if (!live) return;
        setDetail(null);
        message.error(e instanceof ApiError && e.status === 404 ? t('alloc.err.SKU_NOT_FOUND') : errorText(e));
      });
    get<{ items: SkuListing[] }>(`/api/listings?sku=${encodeURIComponent(sku)}`)
      .then((r) => live && setListings(r.items))
      .catch(() => live && setListings([]));
    return () => {
      live = false;
    };
    // Read again when the SKU changes or something on the page was saved (message and t are stable enough here).
  }, [sku, version, listingVersion]);

  const lookUp = (v: string) => {
    const s = v.trim();
    if (!s) return;
    setDrafts({});
    setSku(s);
    setListingVersion((x) => x + 1);
  };

  const draftOf = (l: SkuListing): Draft => drafts[l.id] ?? { fixedQuantity: l.fixedQuantity, capQuantity: l.capQuantity };
  const edit = (l: SkuListing, change: Partial<Draft>) => setDrafts((d) => ({ ...d, [l.id]: { ...draftOf(l), ...change } }));
  const dirty = (l: SkuListing) => {
    const d = drafts[l.id];
    return d !== undefined && (d.fixedQuantity !== l.fixedQuantity || d.capQuantity !== l.capQuantity);
  };

  async function save(l: SkuListing) {
    const d = draftOf(l);
    if (!quantityOk(d.fixedQuantity) || !quantityOk(d.capQuantity)) {
      message.error(t('alloc.err.invalid'));
      return;
    }
    setSaving(l.id);
    try {
      await put(`/api/channel-accounts/${encodeURIComponent(l.accountId)}/listings/${l.id}/overrides`, d);
      setDrafts(({ [l.id]: _saved, ...rest }) => rest);
      message.success(t('alloc.listingSaved'));
      onSaved();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setSaving(null);
    }
  }

  const quantityInput = (l: SkuListing, field: keyof Draft, testId: string) => {
    const v = draftOf(l)[field];
    return (
      <div>
        <InputNumber
          value={v}
          disabled={!writable}
          placeholder={t('alloc.none')}
          status={quantityOk(v) ? undefined : 'error'}
          style={{ width: 110 }}
          onChange={(x) => edit(l, { [field]: x } as Partial<Draft>)}
          data-testid={testId}
        />
        {!quantityOk(v) && (
          <div>
            <Typography.Text type="danger">{t('alloc.err.quantity')}</Typography.Text>
          </div>
        )}
      </div>
    );
  };

  return (
    <Card
      title={t('alloc.skuTitle')}
      data-testid="allocation-sku"
      extra={
        sku && (
          <Button size="small" onClick={() => setListingVersion((x) => x + 1)}>
            {t('common.refresh')}
          </Button>
        )
      }
    >
      <Input.Search
        style={{ maxWidth: 360, marginBottom: 16 }}
        placeholder={t('alloc.skuPlaceholder')}
        enterButton={t('alloc.lookup')}
        value={query}
        list="alloc-skus"
        onChange={(e) => setQuery(e.target.value)}
        onSearch={lookUp}
        data-testid="alloc-sku-input"
      />
      <datalist id="alloc-skus">
        {skus.map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
      {detail && detail.sku === sku && (
        <Space direction="vertical" style={{ width: '100%' }} size="middle">
          <Descriptions size="small" column={5} bordered>
            <Descriptions.Item label="SKU">
              <Typography.Text code>{detail.sku}</Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('stock.onHand')}>{n(detail.onHand)}</Descriptions.Item>
            <Descriptions.Item label={t('stock.reserved')}>{n(detail.reserved)}</Descriptions.Item>
            <Descriptions.Item label={t('stock.safety')}>{n(detail.safetyStock)}</Descriptions.Item>
            <Descriptions.Item label={t('stock.sellable')}>{n(detail.sellable)}</Descriptions.Item>
          </Descriptions>
          {me.scope.warehouses !== null ? (
            <Alert type="info" showIcon message={t('alloc.hiddenForScope')} />
          ) : (
            <ChannelShares detail={detail} settings={settings} testId="sku-by-channel" />
          )}
          <Typography.Title level={5} style={{ marginBottom: 0 }}>
            {t('alloc.listingsTitle')}
          </Typography.Title>
          <Typography.Text type="secondary">{t('alloc.overrideHint')}</Typography.Text>
          <Table<SkuListing>
            rowKey="id"
            size="small"
            pagination={false}
            dataSource={listings}
            data-testid="sku-listings"
            locale={{ emptyText: t('alloc.noListings') }}
            columns={[
              {
                title: t('alloc.shop'),
                dataIndex: 'accountName',
                render: (v: string, l) => (
                  <Space direction="vertical" size={0}>
                    {v}
                    <Tag>{label('platform', l.platform)}</Tag>
                  </Space>
                ),
              },
              {
                title: t('alloc.listing'),
                dataIndex: 'title',
                render: (v: string, l) => (
                  <Space direction="vertical" size={0}>
                    {v}
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {l.platformItemId}
                      {l.platformSkuId ? ` / ${l.platformSkuId}` : ''}
                    </Typography.Text>
                  </Space>
                ),
              },
              { title: t('alloc.merchantCode'), dataIndex: 'merchantCode', render: (v: string | null) => (v ? <Typography.Text code>{v}</Typography.Text> : '—') },
              { title: t('alloc.fixed'), key: 'fixed', render: (_: unknown, l) => quantityInput(l, 'fixedQuantity', 'listing-fixed') },
              { title: t('alloc.cap'), key: 'cap', render: (_: unknown, l) => quantityInput(l, 'capQuantity', 'listing-cap') },
              {
                title: t('alloc.offered'),
                dataIndex: 'offered',
                align: 'right',
                render: (v: number | null) =>
                  v === null ? (
                    <Typography.Text type="secondary">{t('alloc.notSynced')}</Typography.Text>
                  ) : (
                    <Typography.Text strong data-testid="listing-offered">
                      {n(v)}
                    </Typography.Text>
                  ),
              },
              {
                title: t('alloc.lastPushed'),
                dataIndex: 'syncedQuantity',
                align: 'right',
                render: (v: number | null, l) => (
                  <Space direction="vertical" size={0} style={{ alignItems: 'flex-end' }}>
                    {n(v)}
                    {l.syncedAt && (
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {dateTime(l.syncedAt, me.timezone, locale)}
                      </Typography.Text>
                    )}
                    {l.syncError && (
                      <Tooltip title={l.syncError}>
                        <Tag color="red">{t('alloc.pushRefused')}</Tag>
                      </Tooltip>
                    )}
                  </Space>
                ),
              },
              ...(writable
                ? [
                    {
                      title: t('common.actions'),
                      key: 'actions',
                      render: (_: unknown, l: SkuListing) => (
                        <Space>
                          <Button type="primary" size="small" disabled={!dirty(l)} loading={saving === l.id} onClick={() => void save(l)} data-testid="listing-save">
                            {t('common.save')}
                          </Button>
                          {dirty(l) && (
                            <Button size="small" type="link" onClick={() => setDrafts(({ [l.id]: _dropped, ...rest }) => rest)}>
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
        </Space>
      )}
    </Card>
  );
}
