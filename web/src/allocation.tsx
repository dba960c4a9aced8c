// What the stock allocation page (库存分配) and the stock page share: the shops with their share of stock, the table of
// what each shop is offered of a SKU (GET /api/stock/{sku}'s byChannel — the number a stock push sends), and the
// hub's error codes in words.
import { useCallback, useEffect, useState } from 'react';
import { Table, Tag, Typography } from 'antd';
import { ApiError, get } from './api.ts';
import { count } from './format.ts';
import { useI18n, type Key } from './i18n.tsx';
import type { AllocationSettings, StockDetail } from './types.ts';

/** The shops in the reader's scope with their allocation, and a reload. */
export function useAllocation(): { settings: AllocationSettings | null; reload: () => void } {
  const [settings, setSettings] = useState<AllocationSettings | null>(null);
  const reload = useCallback(() => {
    get<AllocationSettings>('/api/stock-allocation')
      .then(setSettings)
      .catch(() => undefined);
  }, []);
  useEffect(reload, [reload]);
  return { settings, reload };
}

const errorKeys: Record<string, Key> = {
  SKU_NOT_FOUND: 'alloc.err.SKU_NOT_FOUND',
  ACCOUNT_NOT_FOUND: 'alloc.err.ACCOUNT_NOT_FOUND',
  LISTING_NOT_FOUND: 'alloc.err.LISTING_NOT_FOUND',
  FORBIDDEN: 'alloc.err.FORBIDDEN',
  VALIDATION_FAILED: 'alloc.err.VALIDATION_FAILED',
};

/** A failed call in the reader's words (never the hub's code or its English message). */
export function useErrorText(): (e: unknown) => string {
  const { t } = useI18n();
  return (e) => t(e instanceof ApiError && errorKeys[e.code] ? (errorKeys[e.code] as Key) : 'alloc.err.other');
}

/** Is this a whole number within [min, max]? (What the API takes: no coercion, no fractions.) */
export function wholeIn(v: number | null | undefined, min: number, max: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/** What each shop is offered of one SKU: name, platform, the number (or "not synced"), and an exclusive allocation. */
export function ChannelShares({ detail, settings, testId }: { detail: StockDetail; settings: AllocationSettings | null; testId?: string }) {
  const { t, locale, label } = useI18n();
  const shops = new Map((settings?.accounts ?? []).map((a) => [a.accountId, a]));
  const exclusiveTo = settings?.exclusive.find((e) => e.sku === detail.sku)?.accountId ?? null;
  return (
    <Table
      size="small"
      rowKey="accountId"
      pagination={false}
      data-testid={testId}
      dataSource={detail.byChannel}
      locale={{ emptyText: t('stock.byChannelEmpty') }}
      columns={[
        {
          title: t('alloc.shop'),
          dataIndex: 'accountId',
          render: (id: string) => (
            <>
              {shops.get(id)?.accountName ?? t('alloc.deletedShop')}
              {exclusiveTo === id && (
                <Tag color="purple" style={{ marginLeft: 8 }}>
                  {t('alloc.exclusiveTo')}
                </Tag>
              )}
            </>
          ),
        },
        { title: t('alloc.platform'), dataIndex: 'accountId', key: 'platform', render: (id: string) => label('platform', shops.get(id)?.platform) },
        {
          title: t('alloc.ratio'),
          dataIndex: 'accountId',
          key: 'ratio',
          align: 'right',
          render: (id: string) => {
            const s = shops.get(id);
            return s ? `${count(s.ratioPct, locale)}%` : '—';
          },
        },
        {
          title: t('alloc.offered'),
          dataIndex: 'sellable',
          align: 'right',
          render: (v: number | null, r) =>
            v === null ? (
              <Typography.Text type="secondary">{t('alloc.notSynced')}</Typography.Text>
            ) : (
              <span data-testid={`offered-${r.accountId}`} title={exclusiveTo !== null && exclusiveTo !== r.accountId ? t('alloc.excluded') : undefined}>
                <Typography.Text strong>{count(v, locale)}</Typography.Text>
              </span>
            ),
        },
      ]}
    />
  );
}
