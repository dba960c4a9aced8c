// Requests waiting for a second person; deciders approve or reject, requesters may withdraw their own.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Input, Modal, Segmented, Space, Table, Tag } from 'antd';
import { ApiError, get, post, qs } from '../api.ts';
import { dateTime } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useMe, useSession } from '../session.tsx';
import type { Approval } from '../types.ts';

const stateColor: Record<string, string> = { pending: 'gold', approved: 'green', rejected: 'red', failed: 'red', withdrawn: 'default', expired: 'default' };

export default function Approvals() {
  const { t, locale } = useI18n();
  const me = useMe();
  const { can } = useSession();
  const { message } = App.useApp();
  const [state, setState] = useState<string>('pending');
  const [items, setItems] = useState<Approval[]>([]);
  const [deciding, setDeciding] = useState<{ a: Approval; decision: 'approve' | 'reject' } | null>(null);
  const [reason, setReason] = useState('');
  const load = useCallback(() => void get<{ items: Approval[] }>(`/api/approvals${qs({ state: state === 'all' ? undefined : state, limit: 200 })}`).then((r) => setItems(r.items)).catch(() => undefined), [state]);
  useEffect(load, [load]);
  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : String(e));

  return (
    <Card title={t('nav.approvals')} extra={<Segmented value={state} onChange={(v) => setState(String(v))} options={['pending', 'approved', 'rejected', 'failed', 'all']} />}>
      <Table<Approval>
        rowKey="id"
        dataSource={items}
        columns={[
          { title: t('approvals.kind'), dataIndex: 'label' },
          { title: t('approvals.summary'), dataIndex: 'summary' },
          { title: t('approvals.requestedBy'), dataIndex: 'requestedBy', render: (v: string, a) => `${v} · ${dateTime(a.requestedAt, me.timezone, locale)}` },
          { title: t('approvals.state'), dataIndex: 'state', render: (v: string, a) => <Tag color={stateColor[v]}>{v}{a.decidedBy ? ` · ${a.decidedBy}` : ''}</Tag> },
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
        title={deciding ? `${deciding.decision === 'approve' ? t('approvals.approve') : t('approvals.reject')}: ${deciding.a.summary}` : ''}
        onCancel={() => setDeciding(null)}
        onOk={() =>
          deciding &&
          void post(`/api/approvals/${deciding.a.id}/decision`, { decision: deciding.decision, ...(reason.trim() ? { reason: reason.trim() } : {}) })
            .then(() => (setDeciding(null), setReason(''), load()))
            .catch((e: unknown) => (fail(e), load()))
        }
      >
        <Input.TextArea value={reason} onChange={(e) => setReason(e.target.value)} placeholder={t('common.reason')} maxLength={500} />
      </Modal>
    </Card>
  );
}
