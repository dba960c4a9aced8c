// Orders: search and filters kept in the address bar (shareable), server-side sorting and paging, exports.
import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Button, Card, DatePicker, Form, Input, Select, Space, Table, Tag, Tooltip } from 'antd';
import type { TablePaginationConfig } from 'antd';
import type { SorterResult } from 'antd/es/table/interface';
import dayjs, { type Dayjs } from 'dayjs';
import { get, qs } from '../api.ts';
import { dateTime, money } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useMe, useSession } from '../session.tsx';
import type { Account, OrderSummary, Page } from '../types.ts';
import { OrderExport } from './OrderExport.tsx';

const statuses = ['pending_payment', 'paid', 'shipped', 'delivered', 'completed', 'cancelled'];
const statusColor: Record<string, string> = { pending_payment: 'gold', paid: 'blue', shipped: 'cyan', delivered: 'green', completed: 'green', cancelled: 'default' };

export default function Orders() {
  const { t, status, locale, label } = useI18n();
  const me = useMe();
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const [data, setData] = useState<Page<OrderSummary> | null>(null);
  const [loading, setLoading] = useState(false);
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [form] = Form.useForm();
  const [exporting, setExporting] = useState(false);

  const filter = useMemo(
    () => ({
      q: params.get('q') ?? undefined,
      account: params.get('account') ?? undefined,
      status: params.get('status') ?? undefined,
      hold: params.get('hold') ?? undefined,
      createdFrom: params.get('from') ?? undefined,
      createdTo: params.get('to') ?? undefined,
    }),
    [params],
  );
  const page = Number(params.get('page') ?? 1);
  const pageSize = Number(params.get('size') ?? 20);
  const sort = params.get('sort') ?? '-createdAt';

  useEffect(() => {
    if (can('accounts.read')) get<{ items: Account[] }>('/api/channel-accounts').then((r) => setAccounts(r.items)).catch(() => undefined);
  }, [can]);

  useEffect(() => {
    setLoading(true);
    get<Page<OrderSummary>>(`/api/orders${qs({ ...filter, page, pageSize, sort })}`)
      .then(setData)
      .catch(() => setData({ items: [], total: 0, page, pageSize }))
      .finally(() => setLoading(false));
  }, [filter, page, pageSize, sort]);

  const update = (next: Record<string, string | undefined>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(next)) {
      if (v) p.set(k, v);
      else p.delete(k);
    }
    setParams(p);
  };

  const search = (v: { q?: string; account?: string; status?: string; range?: [Dayjs, Dayjs] | null }) =>
    update({
      q: v.q?.trim() || undefined,
      account: v.account,
      status: v.status,
      from: v.range?.[0]?.startOf('day').toISOString(),
      to: v.range?.[1]?.endOf('day').toISOString(),
      page: undefined,
    });

  const accountName = (id: string) => accounts.find((a) => a.id === id)?.name ?? id.slice(-6);

  return (
    <Card>
      <Form
        form={form}
        layout="inline"
        onFinish={search}
        initialValues={{ q: filter.q, account: filter.account, status: filter.status, range: filter.createdFrom && filter.createdTo ? [dayjs(filter.createdFrom), dayjs(filter.createdTo)] : null }}
        style={{ rowGap: 12, marginBottom: 16 }}
      >
        <Form.Item name="q">
          <Input.Search placeholder={t('orders.q')} allowClear style={{ width: 300 }} onSearch={() => form.submit()} data-testid="order-search" />
        </Form.Item>
        {accounts.length > 0 && (
          <Form.Item name="account" label={t('orders.account')}>
            <Select allowClear style={{ width: 180 }} options={accounts.map((a) => ({ value: a.id, label: a.name }))} />
          </Form.Item>
        )}
        <Form.Item name="status" label={t('orders.status')}>
          <Select allowClear style={{ width: 140 }} options={statuses.map((s) => ({ value: s, label: status(s) }))} />
        </Form.Item>
        <Form.Item name="range" label={t('orders.created')}>
          <DatePicker.RangePicker />
        </Form.Item>
        <Space>
          <Button type="primary" htmlType="submit">
            {t('common.search')}
          </Button>
          <Button
            onClick={() => {
              form.resetFields();
              setParams(new URLSearchParams());
            }}
          >
            {t('common.reset')}
          </Button>
          {can('orders.export') && (
            <Button onClick={() => setExporting(true)} data-testid="order-export">
              {t('common.export')}
            </Button>
          )}
        </Space>
      </Form>
      <OrderExport filter={filter} open={exporting} onClose={() => setExporting(false)} />
      <Table<OrderSummary>
        rowKey="id"
        size="middle"
        loading={loading}
        dataSource={data?.items ?? []}
        scroll={{ x: 1100 }}
        onChange={(p: TablePaginationConfig, _f, s) => {
          const sorter = s as SorterResult<OrderSummary>;
          const field = sorter.order ? String(sorter.columnKey) : undefined;
          update({
            page: String(p.current ?? 1),
            size: String(p.pageSize ?? 20),
            sort: field ? `${sorter.order === 'ascend' ? '' : '-'}${field}` : undefined,
          });
        }}
        pagination={{ current: page, pageSize, total: data?.total ?? 0, showSizeChanger: true, showTotal: (n) => `${n.toLocaleString(locale)}` }}
        columns={[
          { title: t('orders.orderNo'), dataIndex: 'orderNo', key: 'orderNo', fixed: 'left', render: (v: string) => <Link to={`/orders/${v}`}>{v}</Link> },
          { title: t('orders.platformOrderId'), dataIndex: 'platformOrderId', key: 'platformOrderId' },
          { title: t('orders.account'), dataIndex: 'accountId', key: 'account', render: (v: string) => `${accountName(v)}` },
          {
            title: t('orders.status'),
            dataIndex: 'status',
            key: 'status',
            render: (v: string, o) => (
              <Space size={4}>
                <Tag color={statusColor[v]}>{status(v)}</Tag>
                {o.pendingApprovals && o.pendingApprovals.length > 0 && (
                  <Tooltip title={o.pendingApprovals.map((k) => label('approvalKind', k)).join('、')}>
                    <Tag color="gold" data-testid="order-pending-approval">
                      {t('order.pendingApproval')}
                    </Tag>
                  </Tooltip>
                )}
                {o.hold && (
                  <Tooltip title={o.hold.reason}>
                    <Tag color="red">{o.hold.code}</Tag>
                  </Tooltip>
                )}
              </Space>
            ),
          },
          { title: t('orders.receiver'), dataIndex: 'receiverName', key: 'receiver', render: (v: string, o) => `${v} ${o.receiverPhone ?? ''}` },
          { title: t('orders.region'), dataIndex: 'receiverRegion', key: 'region' },
          {
            title: t('orders.total'),
            dataIndex: 'totalAmount',
            key: 'totalAmount',
            align: 'right',
            sorter: true,
            sortOrder: sort === 'totalAmount' ? 'ascend' : sort === '-totalAmount' ? 'descend' : null,
            render: (v: number, o) => money(v, o.currency, locale),
          },
          {
            title: t('orders.created'),
            dataIndex: 'createdAt',
            key: 'createdAt',
            sorter: true,
            sortOrder: sort === 'createdAt' ? 'ascend' : sort === '-createdAt' ? 'descend' : null,
            render: (v: string) => dateTime(v, me.timezone, locale),
          },
        ]}
      />
    </Card>
  );
}
