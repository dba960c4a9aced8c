// Requests waiting for a second person; deciders approve or reject, requesters may withdraw their own.
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { App, Button, Card, Input, Modal, Segmented, Space, Table, Tag, Typography } from 'antd';
import { ApiError, get, post, qs } from '../api.ts';
import { dateTime, money } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useMe, useSession } from '../session.tsx';
import type { Approval, ApprovalDiff } from '../types.ts';

const stateColor: Record<string, string> = { pending: 'gold', approved: 'green', rejected: 'red', failed: 'red', withdrawn: 'default', expired: 'default' };

export default function Approvals() {
  const { t, locale, label } = useI18n();
  const me = useMe();
  const { can } = useSession();
  const { message } = App.useApp();
  const [state, setState] = useState<string>('pending');
  const [items, setItems] = useState<Approval[]>([]);
  const [deciding, setDeciding] = useState<{ a: Approval; decision: 'approve' | 'reject' } | null>(null);
  const [reason, setReason] = useState('');
  const load = useCallback(
    () =>
      void get<{ items: Approval[] }>(`/api/approvals${qs({ state: state === 'all' ? undefined : state, limit: 200 })}`)
        .then((r) => (setItems(r.items), window.dispatchEvent(new Event('orderhub:approvals-changed'))))
        .catch(() => undefined),
    [state],
  );
  useEffect(load, [load]);
  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : String(e));
  const states = ['pending', 'approved', 'rejected', 'failed', 'all'];

  return (
    <Card title={t('nav.approvals')} extra={<Segmented value={state} onChange={(v) => setState(String(v))} options={states.map((v) => ({ value: v, label: label('approvalState', v) }))} />}>
      <Table<Approval>
        rowKey="id"
        dataSource={items}
        columns={[
          { title: t('approvals.kind'), dataIndex: 'kind', width: 140, render: (v: string) => label('approvalKind', v) },
          {
            title: t('approvals.change'),
            dataIndex: 'diff',
            render: (_: unknown, a) => (
              <Space direction="vertical" size={4} data-testid="approval-diff">
                <DiffView a={a} />
                {typeof a.payload.reason === 'string' && a.payload.reason && (
                  <Typography.Text type="secondary">
                    {t('approvals.reason')}：{a.payload.reason}
                  </Typography.Text>
                )}
              </Space>
            ),
          },
          { title: t('approvals.requestedBy'), dataIndex: 'requestedBy', render: (v: string, a) => `${v} · ${dateTime(a.requestedAt, me.timezone, locale)}` },
          { title: t('approvals.state'), dataIndex: 'state', render: (v: string, a) => <Tag color={stateColor[v]}>{label('approvalState', v)}{a.decidedBy ? ` · ${a.decidedBy}` : ''}</Tag> },
          {
            title: t('common.actions'),
            render: (_: unknown, a) =>
              a.state !== 'pending' ? null : a.mine ? (
                <Button size="small" onClick={() => void post(`/api/approvals/${a.id}/withdraw`).then(load).catch(fail)}>
                  {t('approvals.withdraw')}
                </Button>
              ) : (
                <Space>
                  <Button size="small" type="primary" disabled={!can('approvals.decide')} onClick={() => setDeciding({ a, decision: 'approve' })}>
                    {t('approvals.approve')}
                  </Button>
                  <Button size="small" danger disabled={!can('approvals.decide')} onClick={() => setDeciding({ a, decision: 'reject' })}>
                    {t('approvals.reject')}
                  </Button>
                </Space>
              ),
          },
        ]}
      />
      <Modal
        open={deciding !== null}
        title={deciding ? `${deciding.decision === 'approve' ? t('approvals.approve') : t('approvals.reject')}：${label('approvalKind', deciding.a.kind)}` : ''}
        onCancel={() => setDeciding(null)}
        onOk={() =>
          deciding &&
          void post(`/api/approvals/${deciding.a.id}/decision`, { decision: deciding.decision, ...(reason.trim() ? { reason: reason.trim() } : {}) })
            .then(() => (setDeciding(null), setReason(''), load()))
            .catch((e: unknown) => (fail(e), load()))
        }
      >
        {deciding && (
          <div style={{ marginBottom: 12 }}>
            <DiffView a={deciding.a} />
          </div>
        )}
        <Input.TextArea value={reason} onChange={(e) => setReason(e.target.value)} placeholder={t('common.reason')} maxLength={500} />
      </Modal>
    </Card>
  );
}

/** The request's change as a decider reads it: the order (linked), its lines old → new, or the stock rows before → after. */
function DiffView({ a }: { a: Approval }) {
  const { t, status, locale, label } = useI18n();
  const d: ApprovalDiff | null = a.diff;
  const arrow = (from: string, to: string) => (
    <span>
      <Typography.Text delete type="secondary">
        {from}
      </Typography.Text>{' '}
      → <Typography.Text strong>{to}</Typography.Text>
    </span>
  );
  const orderLink = (orderId: string, orderNo: string) => (
    <Link to={`/orders/${encodeURIComponent(orderNo || orderId)}`} data-testid="approval-order-link">
      {orderNo}
    </Link>
  );
  if (!d) return <Typography.Text type="secondary">{t('approvals.diff.none')}</Typography.Text>;
  switch (d.kind) {
    case 'order.price_change': {
      const m = (v: number) => money(v, d.currency, locale);
      return (
        <Space direction="vertical" size={2}>
          <span>
            {t('payments.order')} {orderLink(d.orderId, d.orderNo)}
          </span>
          {d.lines.map((l) => (
            <span key={l.lineNo} data-testid="approval-diff-line">
              {t('approvals.diff.line')} {l.lineNo} · {l.sku} × {l.quantity} · {t('approvals.diff.unitPrice')} {arrow(m(l.unitPrice.from), m(l.unitPrice.to))}
              {l.discount.from !== l.discount.to && (
                <>
                  {' '}
                  · {t('approvals.diff.discount')} {arrow(m(l.discount.from), m(l.discount.to))}
                </>
              )}
            </span>
          ))}
          {d.shippingFee && (
            <span>
              {t('approvals.diff.shippingFee')} {arrow(m(d.shippingFee.from), m(d.shippingFee.to))}
            </span>
          )}
          {d.discountSeller && (
            <span>
              {t('approvals.diff.discountSeller')} {arrow(m(d.discountSeller.from), m(d.discountSeller.to))}
            </span>
          )}
          <span>
            {t('approvals.diff.total')} {arrow(m(d.total.from), m(d.total.to))}
          </span>
        </Space>
      );
    }
    case 'order.cancel_paid':
      return (
        <Space direction="vertical" size={2}>
          <span>
            {t('payments.order')} {orderLink(d.orderId, d.orderNo)}
          </span>
          <span>
            {t('approvals.diff.status')} {arrow(status(d.status.from), status(d.status.to))}
          </span>
          <span>
            {t('approvals.diff.paid')} {d.currency ? money(d.paidAmount, d.currency, locale) : d.paidAmount}
          </span>
        </Space>
      );
    case 'stock.bulk_adjust':
      return (
        <Space direction="vertical" size={2}>
          <Typography.Text type="secondary">{t('approvals.diff.onHand')}</Typography.Text>
          {d.rows.map((r) => (
            <span key={`${r.sku}@${r.warehouse}`} data-testid="approval-diff-line">
              {r.sku} · {t('approvals.diff.warehouse')} {r.warehouse} ·{' '}
              {arrow(r.before === null ? t('approvals.diff.unknown') : String(r.before), r.after === null ? `${r.delta !== null && r.delta >= 0 ? '+' : ''}${r.delta ?? '?'}` : String(r.after))}
              {r.safetyStock && (
                <>
                  {' '}
                  · {t('approvals.diff.safetyStock')} {arrow(r.safetyStock.from === null ? t('approvals.diff.unknown') : String(r.safetyStock.from), String(r.safetyStock.to))}
                </>
              )}
            </span>
          ))}
        </Space>
      );
    case 'channel_account.delete':
      return (
        <span>
          {t('approvals.diff.account')}：{label('platform', d.platform)} · {d.name}
        </span>
      );
    case 'user.delete':
      return (
        <span>
          {t('approvals.diff.user')}：{d.username}
        </span>
      );
  }
}
