// The order's shipments in its 360° view: how routing split it, where each parcel is in the warehouse, and for a shipped
// one the carrier's tracking timeline with the delivery's trust grade and the customer's "not received".
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Card, Descriptions, Empty, Input, Modal, Space, Tag, Timeline, Typography } from 'antd';
import { get, post } from '../api.ts';
import { dateTime } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useMe, useSession } from '../session.tsx';
import { errorText, gone, ShipmentStateTag, trackingMissing, TrackingStatusTag, TrustGradeTag } from '../shipping.tsx';
import type { OrderDetail, Shipment, ShipmentTracking } from '../types.ts';

export function OrderShipmentsCard({ order }: { order: OrderDetail }) {
  const { t, locale } = useI18n();
  const me = useMe();
  const shipments = order.shipments ?? [];
  const problems = order.routing?.problems ?? null;
  return (
    <Card title={t('tracking.title')} size="small" data-testid="order-shipments">
      {problems && problems.length > 0 && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          title={`${t('routing.problems')} · ${dateTime(order.routing?.checkedAt, me.timezone, locale)}`}
          description={problems.map((p, i) => (
            <div key={i}>
              <Tag>{p.code}</Tag>
              {p.message}
            </div>
          ))}
        />
      )}
      {order.routing?.planId && (
        <Typography.Paragraph type="secondary">
          {t('routing.plan')}: {order.routing.planId}
        </Typography.Paragraph>
      )}
      {shipments.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('tracking.none')} />
      ) : (
        <Space orientation="vertical" style={{ width: '100%' }} size={12}>
          {shipments.map((s) => (
            <OneShipment key={s.id} s={s} orderId={order.id} />
          ))}
        </Space>
      )}
    </Card>
  );
}

function OneShipment({ s, orderId }: { s: Shipment; orderId: string }) {
  const { t, locale } = useI18n();
  const me = useMe();
  const dt = (v: string | null | undefined) => dateTime(v, me.timezone, locale);
  const mine = s.lines.filter((l) => l.orderId === orderId);
  return (
    <Card
      type="inner"
      size="small"
      data-testid={`shipment-${s.id}`}
      title={
        <Space wrap>
          <span>{s.id}</span>
          <ShipmentStateTag state={s.state} />
          <Typography.Text type="secondary">{s.warehouse}</Typography.Text>
        </Space>
      }
    >
      <Descriptions size="small" column={{ xs: 1, md: 3 }}>
        <Descriptions.Item label={t('wh.carrier')}>{s.carrier ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('ship.trackingNo')}>
          <span data-testid="shipment-tracking-no">{s.trackingNo ?? '—'}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('ship.shippedAt')}>{dt(s.shippedAt)}</Descriptions.Item>
        <Descriptions.Item label={t('order.lines')} span={2}>
          {mine.map((l) => `${l.sku} × ${l.quantity}`).join(', ')}
          {s.orderIds.length > 1 && <Tag style={{ marginLeft: 8 }}>+{s.orderIds.length - 1}</Tag>}
        </Descriptions.Item>
        <Descriptions.Item label={t('wh.shipBy')}>{dt(s.shipBy)}</Descriptions.Item>
      </Descriptions>
      {gone.has(s.state) && <TrackingTimeline shipmentId={s.id} />}
    </Card>
  );
}

type TrackingState = { kind: 'loading' } | { kind: 'missing' } | { kind: 'error'; message: string } | { kind: 'ok'; data: ShipmentTracking };

function TrackingTimeline({ shipmentId }: { shipmentId: string }) {
  const { t, label, locale } = useI18n();
  const me = useMe();
  const { can } = useSession();
  const { message } = App.useApp();
  const [state, setState] = useState<TrackingState>({ kind: 'loading' });
  const [asking, setAsking] = useState(false);
  const [note, setNote] = useState('');
  const dt = (v: string | null | undefined) => dateTime(v, me.timezone, locale);

  const load = useCallback(() => {
    get<ShipmentTracking>(`/api/shipments/${encodeURIComponent(shipmentId)}/tracking`)
      .then((data) => setState({ kind: 'ok', data }))
      .catch((e: unknown) => setState(trackingMissing(e) ? { kind: 'missing' } : { kind: 'error', message: errorText(e) }));
  }, [shipmentId]);
  useEffect(load, [load]);

  const notReceived = async () => {
    try {
      // The answer lists the after-sales cases it opened (or found open), one per order in the parcel.
      const r = await post<{ items?: { id: string; priority: string; reason: string }[] } | null>(
        `/api/shipments/${encodeURIComponent(shipmentId)}/not-received`,
        note.trim() ? { note: note.trim() } : {},
      );
      const c = r?.items?.[0];
      message.success([t('tracking.notReceivedDone'), c?.id, c ? label('priority', c.priority) : null, c?.reason].filter(Boolean).join(' · '));
      setAsking(false);
      setNote('');
      load();
    } catch (e) {
      if (trackingMissing(e)) setState({ kind: 'missing' });
      message.error(trackingMissing(e) ? t('tracking.notConnected') : errorText(e));
    }
  };

  if (state.kind === 'loading') return <Typography.Text type="secondary">{t('common.loading')}</Typography.Text>;
  if (state.kind === 'missing') return <Alert type="info" showIcon title={<span data-testid="tracking-not-connected">{t('tracking.notConnected')}</span>} />;
  if (state.kind === 'error') return <Alert type="warning" showIcon title={state.message} />;
  const { shipment, events } = state.data;
  const newestFirst = [...events].reverse();
  return (
    <div data-testid="tracking">
      <Space wrap style={{ margin: '8px 0' }}>
        <TrackingStatusTag status={shipment.trackingStatus} testId="tracking-status" />
        <TrustGradeTag grade={shipment.trustGrade} />
        {shipment.deliveredAt && (
          <Typography.Text type="secondary">
            {t('tracking.deliveredAt')}: {dt(shipment.deliveredAt)}
          </Typography.Text>
        )}
        <Button size="small" danger disabled={!can('orders.modify')} onClick={() => setAsking(true)} data-testid="not-received">
          {t('tracking.notReceived')}
        </Button>
      </Space>
      {newestFirst.length === 0 ? (
        <Typography.Paragraph type="secondary">{t('tracking.noEvents')}</Typography.Paragraph>
      ) : (
        <Timeline
          style={{ marginTop: 8 }}
          items={newestFirst.map((e, i) => ({
            key: i,
            color: e.status === 'delivered' ? 'green' : ['exception', 'delivery_failed', 'returning', 'returned', 'rejected'].includes(e.status) ? 'red' : i === 0 ? 'blue' : 'gray',
            title: dt(e.at),
            content: (
              <div>
                <Typography.Text strong>{label('track', e.status)}</Typography.Text>
                {e.rawStatus && <Typography.Text type="secondary"> ({e.rawStatus})</Typography.Text>}
                <div>{e.description}</div>
                {e.location && <Typography.Text type="secondary">{e.location}</Typography.Text>}
                {e.evidence.length > 0 && (
                  <div>
                    {e.evidence.map((x) => (
                      <Tag key={x}>{x}</Tag>
                    ))}
                  </div>
                )}
              </div>
            ),
          }))}
        />
      )}
      <Modal open={asking} title={t('tracking.notReceived')} onCancel={() => setAsking(false)} onOk={() => void notReceived()} destroyOnHidden>
        <Typography.Paragraph>{t('tracking.notReceivedHint')}</Typography.Paragraph>
        <Input.TextArea value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} placeholder={t('payments.note')} />
      </Modal>
    </div>
  );
}
