// The payment exceptions queue: payments the hub could not believe, paid orders without stock, refunds that are stuck;
// approve or decline a proposed refund, resolve with a note, or ask the provider again.
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { App, Button, Card, Input, Modal, Segmented, Space, Table, Tag } from 'antd';
import { ApiError, get, post, qs } from '../api.ts';
import { dateTime } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useMe, useSession } from '../session.tsx';
import type { PaymentException } from '../types.ts';

type Action = 'approve_refund' | 'decline_refund' | 'resolve';

const paths: Record<Action, string> = { approve_refund: 'approve-refund', decline_refund: 'decline-refund', resolve: 'resolve' };

export function PaymentExceptionActions({ e, onDone }: { e: PaymentException; onDone: () => void }) {
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const [acting, setActing] = useState<Action | null>(null);
  const [note, setNote] = useState('');
  const fail = (err: unknown) => message.error(err instanceof ApiError ? err.message : String(err));
  const allowed = (a: string) => (a === 'approve_refund' || a === 'decline_refund' ? can('refunds.approve') : can('payments.manage'));
  const label: Record<string, string> = { approve_refund: t('payments.approve'), decline_refund: t('payments.decline'), resolve: t('payments.resolve'), recheck: t('payments.recheck') };
  return (
    <Space wrap>
      {e.actions.map((a) => (
        <Button
          key={a}
          size="small"
          type={a === 'approve_refund' ? 'primary' : 'default'}
          disabled={!allowed(a)}
          onClick={() => {
            if (a === 'recheck') {
              void post<{ effect: string }>(`/api/payment-exceptions/${e.id}/recheck`)
                .then((r) => {
                  message.info(r.effect);
                  onDone();
                })
                .catch(fail);
            } else setActing(a as Action);
          }}
        >
          {label[a] ?? a}
        </Button>
      ))}
      <Modal
        open={acting !== null}
        title={acting ? label[acting] : ''}
        okButtonProps={{ disabled: !note.trim() }}
        onCancel={() => setActing(null)}
        onOk={() =>
          acting &&
          void post(`/api/payment-exceptions/${e.id}/${paths[acting]}`, { note: note.trim() })
            .then(() => {
              setActing(null);
              setNote('');
              onDone();
            })
            .catch(fail)
        }
      >
        <Input.TextArea value={note} onChange={(ev) => setNote(ev.target.value)} maxLength={500} placeholder={t('payments.note')} />
      </Modal>
    </Space>
  );
}

export default function PaymentExceptions() {
  const { t, locale } = useI18n();
  const me = useMe();
  const [state, setState] = useState<string>('open');
  const [items, setItems] = useState<PaymentException[]>([]);
  const load = useCallback(
    () => void get<{ items: PaymentException[] }>(`/api/payment-exceptions${qs({ state: state === 'all' ? undefined : state, limit: 200 })}`).then((r) => setItems(r.items)).catch(() => undefined),
    [state],
  );
  useEffect(load, [load]);
  return (
    <Card title={t('nav.payments')} extra={<Segmented value={state} onChange={(v) => setState(String(v))} options={['open', 'resolved', 'all']} />}>
      <Table<PaymentException>
        rowKey="id"
        dataSource={items}
        columns={[
          { title: t('payments.code'), dataIndex: 'code', render: (v: string, e) => <Tag color={e.state === 'open' ? 'red' : 'default'}>{v}</Tag> },
          { title: t('payments.order'), dataIndex: 'orderNo', render: (v: string | null) => (v ? <Link to={`/orders/${v}`}>{v}</Link> : '—') },
          { title: t('payments.reason'), dataIndex: 'reason' },
          { title: t('payments.refund'), dataIndex: 'refund', render: (r: PaymentException['refund']) => (r ? `${r.outRefundNo} · ${r.state}` : '—') },
          { title: t('payments.state'), dataIndex: 'state', render: (v: string, e) => `${v}${e.resolvedBy ? ` · ${e.resolvedBy}` : ''} · ${dateTime(e.createdAt, me.timezone, locale)}` },
          { title: t('common.actions'), render: (_: unknown, e) => <PaymentExceptionActions e={e} onDone={load} /> },
        ]}
      />
    </Card>
  );
}
