// The order's shipments in its 360° view: how routing split it, where each parcel is in the warehouse, and for a shipped
// one the carrier's tracking timeline with the delivery's trust grade, the customer's "not received", and the correction
// of a mistyped tracking number (更正运单号).
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Card, Checkbox, Descriptions, Empty, Form, Input, Modal, Space, Tag, Timeline, Typography } from 'antd';
import { ApiError, get, post } from '../api.ts';
import { dateTime } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useMe, useSession } from '../session.tsx';
import { errorText, gone, ShipmentStateTag, trackingMissing, TrackingStatusTag, TrustGradeTag } from '../shipping.tsx';
import type { OrderDetail, Shipment, ShipmentTracking } from '../types.ts';

export function OrderShipmentsCard({ order, onChanged }: { order: OrderDetail; onChanged?: () => void }) {
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
            <OneShipment key={s.id} s={s} orderId={order.id} onChanged={onChanged} />
          ))}
        </Space>
      )}
    </Card>
  );
}

function OneShipment({ s, orderId, onChanged }: { s: Shipment; orderId: string; onChanged?: (() => void) | undefined }) {
  const { t, locale } = useI18n();
  const me = useMe();
  const { can } = useSession();
  const [correcting, setCorrecting] = useState(false);
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
          <Space size={8} wrap>
            <span data-testid="shipment-tracking-no">{s.trackingNo ?? '—'}</span>
            {s.state === 'shipped' && (
              <Button size="small" type="link" disabled={!can('orders.modify')} onClick={() => setCorrecting(true)} data-testid="correct-tracking">
                {t('retrack.action')}
              </Button>
            )}
          </Space>
        </Descriptions.Item>
        <Descriptions.Item label={t('ship.shippedAt')}>{dt(s.shippedAt)}</Descriptions.Item>
        <Descriptions.Item label={t('order.lines')} span={2}>
          {mine.map((l) => `${l.sku} × ${l.quantity}`).join(', ')}
          {s.orderIds.length > 1 && <Tag style={{ marginLeft: 8 }}>+{s.orderIds.length - 1}</Tag>}
        </Descriptions.Item>
        <Descriptions.Item label={t('wh.shipBy')}>{dt(s.shipBy)}</Descriptions.Item>
      </Descriptions>
      {/* Keyed by the number: a corrected one is tracked afresh. */}
      {gone.has(s.state) && <TrackingTimeline key={`${s.id}:${s.trackingNo ?? ''}`} shipmentId={s.id} />}
      {correcting && (
        <CorrectTracking
          s={s}
          onClose={() => setCorrecting(false)}
          onDone={() => {
            setCorrecting(false);
            onChanged?.();
          }}
        />
      )}
    </Card>
  );
}

/** The codes a correction is refused with, each said in words (the hub's English message otherwise). */
const correctionErrors = new Set(['CORRECTION_UNSUPPORTED', 'TRACKING_NO_UNCHANGED', 'TRACKING_NO_IN_USE', 'SHIP_BACK_IN_FLIGHT', 'SHIPMENT_STATE', 'WAYBILL_MISMATCH', 'VALIDATION_FAILED']);

/**
 * 更正运单号: the right carrier code and number for a parcel that left with a typo. The hub corrects the shipment, tracks
 * the new number and tells each platform that had the old one with the platform's own correction.
 */
function CorrectTracking({ s, onClose, onDone }: { s: Shipment; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ carrier: string; trackingNo: string; byHand?: boolean }>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    // A field the form refuses says so under itself; nothing is sent.
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setBusy(true);
    try {
      const carrier = v.carrier.trim();
      const r = await post<{ platformWrites: { kind: string }[] }>(`/api/shipments/${encodeURIComponent(s.id)}/tracking`, {
        trackingNo: v.trackingNo.trim(),
        ...(carrier && carrier !== s.carrier ? { carrier } : {}),
        ...(v.byHand ? { correctedOnPlatform: true } : {}),
      });
      message.success(r.platformWrites.some((w) => w.kind === 'queued') ? t('retrack.done') : t('retrack.doneLocal'));
      onDone();
    } catch (e) {
      const known = e instanceof ApiError && correctionErrors.has(e.code);
      // The refusal in the words of a correction; any other in the console's words for its code.
      message.error(known ? t(`retrack.err.${e.code}` as 'retrack.err.CORRECTION_UNSUPPORTED') : errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open title={t('retrack.title')} onCancel={onClose} onOk={() => void submit()} okButtonProps={{ loading: busy, 'data-testid': 'correct-tracking-ok' }} destroyOnHidden>
      <Typography.Paragraph type="secondary">{t('retrack.hint')}</Typography.Paragraph>
      <Typography.Paragraph>
        {t('retrack.current')}: {s.carrier ?? '—'} {s.trackingNo ?? '—'}
      </Typography.Paragraph>
      <Form form={form} layout="vertical" initialValues={{ carrier: s.carrier ?? '', trackingNo: '' }}>
        <Form.Item name="carrier" label={t('retrack.carrier')} rules={[{ pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, message: t('retrack.err.VALIDATION_FAILED') }]}>
          <Input data-testid="correct-tracking-carrier" />
        </Form.Item>
        <Form.Item name="trackingNo" label={t('retrack.trackingNo')} rules={[{ required: true, pattern: /^[A-Za-z0-9-]{1,64}$/, message: t('retrack.err.VALIDATION_FAILED') }]}>
          <Input data-testid="correct-tracking-no" autoFocus />
        </Form.Item>
        <Form.Item name="byHand" valuePropName="checked" extra={t('retrack.byHandHint')}>
          <Checkbox data-testid="correct-tracking-by-hand">{t('retrack.byHand')}</Checkbox>
        </Form.Item>
      </Form>
    </Modal>
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
