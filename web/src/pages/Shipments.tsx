// Shipments (发货单), most urgent first: where each parcel is in the warehouse, who carries it, what tracking says and
// how far its delivery can be believed. Filters live in the address bar like the orders list.
import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Button, Card, Form, Input, Select, Space, Table } from 'antd';
import { get, qs } from '../api.ts';
import { count, dateTime } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useMe, useSession } from '../session.tsx';
import { closed, gone, OrderLinks, ShipmentStateTag, shipmentStates, TrackingStatusTag, TrustGradeTag } from '../shipping.tsx';
import type { Shipment } from '../types.ts';

export default function Shipments() {
  const { t, label, locale } = useI18n();
  const me = useMe();
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const [data, setData] = useState<{ items: Shipment[]; total: number } | null>(null);
  const [loading, setLoading] = useState(false);
  const [form] = Form.useForm<{ warehouse?: string; state?: string; waveId?: string }>();

  const filter = useMemo(() => ({ warehouse: params.get('warehouse') ?? undefined, state: params.get('state') ?? undefined, waveId: params.get('wave') ?? undefined }), [params]);
  const page = Number(params.get('page') ?? 1);
  const pageSize = Number(params.get('size') ?? 50);

  useEffect(() => {
    setLoading(true);
    get<{ items: Shipment[]; total: number }>(`/api/shipments${qs({ ...filter, page, pageSize })}`)
      .then(setData)
      .catch(() => setData({ items: [], total: 0 }))
      .finally(() => setLoading(false));
  }, [filter, page, pageSize]);

  const update = (next: Record<string, string | undefined>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(next)) {
      if (v) p.set(k, v);
      else p.delete(k);
    }
    setParams(p);
  };
  const dt = (v: string | null | undefined) => dateTime(v, me.timezone, locale);

  return (
    <Card title={t('nav.shipments')}>
      <Form
        form={form}
        layout="inline"
        initialValues={filter}
        style={{ rowGap: 12, marginBottom: 16 }}
        onFinish={(v) => update({ warehouse: v.warehouse?.trim() || undefined, state: v.state, wave: v.waveId?.trim() || undefined, page: undefined })}
      >
        <Form.Item name="warehouse" label={t('order.warehouse')}>
          <Input allowClear style={{ width: 140 }} />
        </Form.Item>
        <Form.Item name="state" label={t('ship.state')}>
          <Select allowClear style={{ width: 140 }} options={shipmentStates.map((s) => ({ value: s, label: label('shipState', s) }))} />
        </Form.Item>
        <Form.Item name="waveId" label={t('wh.wave')}>
          <Input allowClear style={{ width: 220 }} />
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
        </Space>
      </Form>
      <Table<Shipment>
        rowKey="id"
        size="middle"
        loading={loading}
        dataSource={data?.items ?? []}
        scroll={{ x: 1700 }}
        data-testid="shipments"
        onChange={(p) => update({ page: String(p.current ?? 1), size: String(p.pageSize ?? 50) })}
        pagination={{ current: page, pageSize, total: data?.total ?? 0, showSizeChanger: true, showTotal: (n) => count(n, locale) }}
        columns={[
          {
            title: t('ship.id'),
            dataIndex: 'id',
            fixed: 'left',
            width: 230,
            render: (v: string, s) =>
              can('fulfilment.ship') && !closed.has(s.state) ? <Link to={`/warehouse?tab=pack&shipment=${encodeURIComponent(v)}`}>{v}</Link> : v,
          },
          { title: t('ship.state'), dataIndex: 'state', width: 100, render: (v: string) => <ShipmentStateTag state={v} /> },
          { title: t('wh.carrier'), dataIndex: 'carrier', width: 90, render: (v: string | null) => v ?? '—' },
          { title: t('ship.trackingNo'), dataIndex: 'trackingNo', width: 160, render: (v: string | null) => v ?? '—' },
          {
            title: t('ship.trackingStatus'),
            dataIndex: 'trackingStatus',
            width: 150,
            render: (v: string | null | undefined) => <TrackingStatusTag status={v} />,
          },
          { title: t('ship.trustGrade'), dataIndex: 'trustGrade', width: 140, render: (v: string | null | undefined) => <TrustGradeTag grade={v} /> },
          { title: t('order.warehouse'), dataIndex: 'warehouse', width: 130 },
          {
            title: t('ship.units'),
            key: 'units',
            align: 'right',
            width: 80,
            render: (_: unknown, s) => {
              const [done, all] = s.lines.reduce(([d, a], l) => [d + l.scanned, a + l.quantity], [0, 0]);
              return gone.has(s.state) || s.state === 'packed' ? count(all, locale) : `${count(done, locale)} / ${count(all, locale)}`;
            },
          },
          { title: t('ship.orders'), dataIndex: 'orderIds', width: 310, render: (v: string[], s) => <OrderLinks ids={v} nos={s.orderNos} /> },
          { title: t('wh.shipBy'), dataIndex: 'shipBy', render: dt },
          { title: t('ship.shippedAt'), dataIndex: 'shippedAt', render: dt },
        ]}
      />
    </Card>
  );
}
