// The 360° view (客服作战室): one screen answers "where is my order?".
import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { Alert, App, Button, Card, Col, Descriptions, Empty, Form, Input, InputNumber, List, Modal, Row, Select, Space, Table, Tag, Timeline, Tooltip, Typography } from 'antd';
import { ApiError, get, post, qs } from '../api.ts';
import { dateTime, money, toMajor, toMinor } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useMe, useSession } from '../session.tsx';
import type { AuditEntry, OrderDetail, PaymentTimeline } from '../types.ts';
import { PaymentExceptionActions } from './PaymentExceptions.tsx';
import { PlatformCalls, SellerRemark, type OutboundCall } from './Outbound.tsx';
import { OrderShipmentsCard } from './OrderShipments.tsx';

export default function OrderView() {
  const { ref = '' } = useParams();
  const { t, status, kind, locale, label } = useI18n();
  const me = useMe();
  const { can } = useSession();
  const { message } = App.useApp();
  const [order, setOrder] = useState<OrderDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reveal, setReveal] = useState(false);
  const [audit, setAudit] = useState<AuditEntry[]>([]);
  const [raw, setRaw] = useState<{ id: number; body: string | null; headers: unknown } | null>(null);
  const [dialog, setDialog] = useState<'transition' | 'price' | null>(null);
  const [note, setNote] = useState('');

  const load = useCallback(async () => {
    try {
      const o = await get<OrderDetail>(`/api/orders/${encodeURIComponent(ref)}${qs({ reveal: reveal || undefined })}`);
      setOrder(o);
      setError(null);
      if (can('audit.read')) setAudit((await get<{ items: AuditEntry[] }>(`/api/audit${qs({ targetType: 'order', targetId: o.id, limit: 50 })}`)).items);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }, [ref, reveal, can]);

  useEffect(() => {
    void load();
  }, [load]);

  if (error) return <Card><Empty description={error} /><Link to="/orders">{t('order.back')}</Link></Card>;
  if (!order) return <Card loading />;

  const m = (v: number) => money(v, order.currency, locale);
  const dt = (v: string | null) => dateTime(v, me.timezone, locale);
  const act = async (f: () => Promise<unknown>) => {
    try {
      const r = (await f()) as { pendingApproval?: unknown } | null;
      if (r && typeof r === 'object' && 'pendingApproval' in r) message.info(t('common.pendingApproval'));
      setDialog(null);
      await load();
    } catch (e) {
      // A refusal the console knows is said in the reader's language; others as the server put them.
      message.error(e instanceof ApiError ? (label('err', e.code) !== e.code ? label('err', e.code) : e.message) : String(e));
    }
  };

  return (
    <Space direction="vertical" style={{ width: '100%' }} size={16}>
      <Card
        title={
          <Space>
            <span data-testid="order-no">{order.orderNo}</span>
            <Tag color="blue" data-testid="order-status">{status(order.status)}</Tag>
            {order.hold && <Tag color="red">{order.hold.code}</Tag>}
            {order.pendingApprovals.length > 0 && (
              <Tooltip title={`${t('order.pendingApprovalHint')}${order.pendingApprovals.map((p) => label('approvalKind', p.kind)).join('、')}`}>
                <Link to="/approvals">
                  <Tag color="gold" data-testid="order-pending-approval">
                    {t('order.pendingApproval')}
                  </Tag>
                </Link>
              </Tooltip>
            )}
          </Space>
        }
        extra={
          <Space wrap>
            <Link to="/orders">{t('order.back')}</Link>
            {can('pii.view') && !order.piiRevealed && <Button onClick={() => setReveal(true)}>{t('order.reveal')}</Button>}
            <Button type="primary" disabled={!can('orders.modify') || order.allowedTransitions.length === 0} onClick={() => setDialog('transition')} data-testid="transition-button">
              {t('order.transition')}
            </Button>
            {order.status === 'pending_payment' && !order.blockedActions.priceChange && (
              <Button disabled={!can('prices.change')} onClick={() => setDialog('price')} data-testid="price-change-button">
                {t('order.priceChange')}
              </Button>
            )}
            {['short', 'unmatched'].includes(order.reservationState) && (
              <Button disabled={!can('orders.modify')} onClick={() => void act(() => post(`/api/orders/${order.id}/retry-reservation`))}>
                {t('order.retry')}
              </Button>
            )}
          </Space>
        }
      >
        {order.status === 'pending_payment' && order.blockedActions.priceChange && (
          <Alert style={{ marginBottom: 12 }} type="info" showIcon data-testid="price-change-blocked" message={`${t('order.priceChange')}：${t('order.priceChangeBlocked')}`} />
        )}
        <Descriptions size="small" column={{ xs: 1, md: 3 }}>
          <Descriptions.Item label={t('orders.channel')}>{order.channel}</Descriptions.Item>
          <Descriptions.Item label={t('orders.platformOrderId')}>{order.platformOrderId}</Descriptions.Item>
          <Descriptions.Item label={t('orders.created')}>{dt(order.platformCreatedAt)}</Descriptions.Item>
          <Descriptions.Item label={t('orders.receiver')}>
            {order.receiver.name} {order.receiver.phone}
            {order.receiver.protection && <Tag style={{ marginLeft: 8 }}>{t(`order.protection.${order.receiver.protection}` as 'order.protection.masked')}</Tag>}
          </Descriptions.Item>
          <Descriptions.Item label={t('orders.region')} span={2}>
            {order.receiver.province} {order.receiver.city} {order.receiver.district} {order.receiver.address}
          </Descriptions.Item>
          <Descriptions.Item label={t('order.payment')}>
            {order.paymentStatus} · {m(order.amounts.paid)} / {m(order.amounts.total)}
          </Descriptions.Item>
          <Descriptions.Item label={t('order.paidAt')}>{dt(order.paidAt)}</Descriptions.Item>
          <Descriptions.Item label={t('order.reservation')}>{order.reservationState}</Descriptions.Item>
        </Descriptions>
      </Card>
      {order.shipments && <OrderShipmentsCard order={order} onChanged={() => void load()} />}
      <Row gutter={16}>
        <Col xs={24} lg={14}>
          <Card title={t('order.lines')} size="small">
            <Table
              size="small"
              rowKey="lineNo"
              pagination={false}
              dataSource={order.lines}
              columns={[
                { title: t('order.sku'), dataIndex: 'sku', render: (v: string | null, l) => v ?? <Tag color="red">{l.platformSku}</Tag> },
                { title: t('order.title'), dataIndex: 'title' },
                { title: t('order.quantity'), dataIndex: 'quantity', align: 'right' },
                { title: t('order.unitPrice'), dataIndex: 'unitPrice', align: 'right', render: m },
                { title: t('order.discount'), dataIndex: 'discount', align: 'right', render: m },
              ]}
            />
            <Descriptions size="small" column={2} style={{ marginTop: 12 }} title={t('order.amounts')}>
              <Descriptions.Item label={t('order.goods')}>{m(order.amounts.goods)}</Descriptions.Item>
              <Descriptions.Item label={t('order.lineDiscounts')}>{m(order.amounts.lineDiscounts)}</Descriptions.Item>
              <Descriptions.Item label={t('order.shippingFee')}>{m(order.amounts.shippingFee)}</Descriptions.Item>
              <Descriptions.Item label={t('order.discountPlatform')}>{m(order.amounts.discountPlatform)}</Descriptions.Item>
              <Descriptions.Item label={t('order.discountSeller')}>{m(order.amounts.discountSeller)}</Descriptions.Item>
              {order.amounts.tax > 0 && <Descriptions.Item label={t('order.tax')}>{m(order.amounts.tax)}</Descriptions.Item>}
              <Descriptions.Item label={t('orders.total')}>
                <b>{m(order.amounts.total)}</b>
              </Descriptions.Item>
            </Descriptions>
          </Card>
          <Card title={t('order.reservation')} size="small" style={{ marginTop: 16 }}>
            <Table
              size="small"
              rowKey={(r) => `${r.sku}@${r.warehouse}`}
              pagination={false}
              dataSource={order.reservation.items}
              columns={[
                { title: t('order.sku'), dataIndex: 'sku' },
                { title: t('order.warehouse'), dataIndex: 'warehouse' },
                { title: t('order.quantity'), dataIndex: 'quantity', align: 'right' },
                { title: t('orders.status'), dataIndex: 'state' },
              ]}
            />
          </Card>
          <div style={{ marginTop: 16 }}>
            <PlatformCalls calls={(order as { platformCalls?: OutboundCall[] }).platformCalls ?? []} />
          </div>
          <Card title={t('order.raw')} size="small" style={{ marginTop: 16 }}>
            <List
              size="small"
              dataSource={order.rawEvents}
              renderItem={(r) => (
                <List.Item
                  actions={[
                    <Button
                      key="view"
                      size="small"
                      onClick={() =>
                        void get<{ id: number; body: string | null; headers: unknown }>(`/api/raw-events/${r.id}${qs({ reveal: can('pii.view') || undefined })}`)
                          .then(setRaw)
                          .catch((e: unknown) => message.error(e instanceof ApiError ? e.message : String(e)))
                      }
                      disabled={!can('webhooks.manage')}
                    >
                      JSON
                    </Button>,
                  ]}
                >
                  {dt(r.receivedAt)} · {r.eventId} · {r.outcome} · ×{r.deliveries}
                </List.Item>
              )}
            />
          </Card>
          {order.payments && (order.payments.notices.length > 0 || order.payments.refunds.length > 0 || order.payments.exceptions.length > 0) && (
            <PaymentCard payments={order.payments} m={m} dt={dt} onChange={() => void load()} />
          )}
        </Col>
        <Col xs={24} lg={10}>
          <Card title={t('order.timeline')} size="small">
            <Timeline
              data-testid="timeline"
              items={order.history.map((h) => ({
                color: h.kind === 'hold' ? 'red' : h.kind === 'status' ? 'blue' : 'gray',
                children: (
                  <div>
                    <Typography.Text strong>{h.kind === 'status' ? `${h.from ? status(h.from) + ' → ' : ''}${status(h.to ?? '')}` : kind(h.kind)}</Typography.Text>
                    <div>
                      <Typography.Text type="secondary">{dt(h.at)}</Typography.Text>
                    </div>
                    <div>{h.cause}</div>
                  </div>
                ),
              }))}
            />
          </Card>
          <Card title={t('order.notes')} size="small" style={{ marginTop: 16 }}>
            <List size="small" dataSource={order.notes} locale={{ emptyText: t('common.none') }} renderItem={(n) => <List.Item>{dt(n.at)} · {n.author}: {n.text}</List.Item>} />
            {can('orders.modify') && (
              <Space.Compact style={{ width: '100%', marginTop: 8 }}>
                <Input value={note} onChange={(e) => setNote(e.target.value)} maxLength={1000} />
                <Button disabled={!note.trim()} onClick={() => void act(() => post(`/api/orders/${order.id}/notes`, { text: note.trim() })).then(() => setNote(''))}>
                  {t('order.addNote')}
                </Button>
              </Space.Compact>
            )}
          </Card>
          <SellerRemark orderId={order.id} current={(order as { sellerRemark?: { text: string; flag: number | null } | null }).sellerRemark ?? null} onSaved={load} />
          {can('audit.read') && (
            <Card title={t('order.audit')} size="small" style={{ marginTop: 16 }}>
              <List size="small" dataSource={audit} renderItem={(a) => <List.Item>{dt(a.at)} · {a.actor.name} · {a.action}</List.Item>} />
            </Card>
          )}
        </Col>
      </Row>
      <TransitionDialog open={dialog === 'transition'} order={order} onClose={() => setDialog(null)} onSubmit={(to, reason) => act(() => post(`/api/orders/${order.id}/transitions`, { to, reason }))} />
      <PriceDialog open={dialog === 'price'} order={order} onClose={() => setDialog(null)} onSubmit={(body) => act(() => post(`/api/orders/${order.id}/price-change`, body))} />
      <Modal open={raw !== null} onCancel={() => setRaw(null)} footer={null} width={720} title={`${t('order.raw')} #${raw?.id ?? ''}`}>
        <pre style={{ maxHeight: 480, overflow: 'auto', fontSize: 12 }}>{raw ? JSON.stringify({ headers: raw.headers, body: raw.body ? (JSON.parse(raw.body) as unknown) : null }, null, 2) : ''}</pre>
      </Modal>
    </Space>
  );
}

function TransitionDialog(props: { open: boolean; order: OrderDetail; onClose(): void; onSubmit(to: string, reason: string): Promise<void> }) {
  const { t, status } = useI18n();
  const [form] = Form.useForm<{ to: string; reason: string }>();
  // A parcel in the warehouse ships through the warehouse flow: "shipped" by hand is not offered, and says why.
  const shipBlocked = props.order.blockedActions.ship !== null && props.order.allowedTransitions.includes('shipped');
  const targets = props.order.allowedTransitions.filter((s) => !(s === 'shipped' && shipBlocked));
  return (
    <Modal open={props.open} title={t('order.transition')} onCancel={props.onClose} onOk={() => form.submit()} destroyOnHidden>
      {shipBlocked && <Alert style={{ marginBottom: 12 }} type="info" showIcon data-testid="ship-blocked" message={t('order.shipBlocked')} />}
      <Form form={form} layout="vertical" onFinish={(v) => void props.onSubmit(v.to, v.reason)}>
        <Form.Item name="to" label={t('orders.status')} rules={[{ required: true }]}>
          <Select data-testid="transition-target" options={targets.map((s) => ({ value: s, label: status(s) }))} />
        </Form.Item>
        <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, whitespace: true }]}>
          <Input maxLength={500} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function PriceDialog(props: { open: boolean; order: OrderDetail; onClose(): void; onSubmit(body: unknown): Promise<void> }) {
  const { t } = useI18n();
  const c = props.order.currency;
  const [form] = Form.useForm<{ lines: Record<string, number>; shippingFee: number; reason: string }>();
  return (
    <Modal open={props.open} title={t('order.priceChange')} onCancel={props.onClose} onOk={() => form.submit()} destroyOnHidden>
      <Form
        form={form}
        layout="vertical"
        initialValues={{
          lines: Object.fromEntries(props.order.lines.map((l) => [String(l.lineNo), toMajor(l.unitPrice, c)])),
          shippingFee: toMajor(props.order.amounts.shippingFee, c),
        }}
        onFinish={(v) =>
          void props.onSubmit({
            lines: props.order.lines.map((l) => ({ lineNo: l.lineNo, unitPrice: toMinor(v.lines[String(l.lineNo)] ?? toMajor(l.unitPrice, c), c) })),
            shippingFee: toMinor(v.shippingFee, c),
            reason: v.reason,
          })
        }
      >
        {props.order.lines.map((l) => (
          <Form.Item key={l.lineNo} name={['lines', String(l.lineNo)]} label={`${l.lineNo}. ${l.title || l.platformSku} × ${l.quantity}`}>
            <InputNumber min={0} step={0.01} addonAfter={c} style={{ width: 200 }} />
          </Form.Item>
        ))}
        <Form.Item name="shippingFee" label={t('order.shippingFee')}>
          <InputNumber min={0} step={0.01} addonAfter={c} style={{ width: 200 }} />
        </Form.Item>
        <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, whitespace: true }]}>
          <Input maxLength={500} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** The order's payments: every verified notice with its effect, its refunds, and its open payment exceptions. */
function PaymentCard({ payments, m, dt, onChange }: { payments: PaymentTimeline; m: (v: number) => string; dt: (v: string | null) => string; onChange: () => void }) {
  const { t } = useI18n();
  return (
    <Card title={t('payments.title')} size="small" style={{ marginTop: 16 }} data-testid="payments">
      <List
        size="small"
        header={t('payments.notices')}
        dataSource={payments.notices}
        renderItem={(n) => (
          <List.Item>
            {dt(n.receivedAt)} · {n.provider} {n.via === 'query' ? '(query)' : ''} · {n.providerState} · {n.amount === null ? '—' : m(n.amount)} ·{' '}
            <Tag color={n.effect.startsWith('paid') || n.effect === 'late_paid' || n.effect === 'refund_succeeded' ? 'green' : n.effect === 'exception' ? 'red' : 'default'}>{n.effect}</Tag>
            ×{n.deliveries} {n.reason ? `· ${n.reason}` : ''}
          </List.Item>
        )}
      />
      {payments.refunds.length > 0 && (
        <List
          size="small"
          header={t('payments.refunds')}
          dataSource={payments.refunds}
          renderItem={(r) => (
            <List.Item>
              {r.outRefundNo} · {m(r.amount)} · <Tag>{r.state}</Tag> {r.providerState ?? ''} {r.lastError ? `· ${r.lastError}` : ''}
            </List.Item>
          )}
        />
      )}
      {payments.exceptions.length > 0 && (
        <List
          size="small"
          header={t('payments.exceptions')}
          dataSource={payments.exceptions}
          renderItem={(e) => (
            <List.Item actions={e.state === 'open' ? [<PaymentExceptionActions key="a" e={e} onDone={onChange} />] : []}>
              <Tag color={e.state === 'open' ? 'red' : 'default'}>{e.code}</Tag> {e.reason}
            </List.Item>
          )}
        />
      )}
    </Card>
  );
}
