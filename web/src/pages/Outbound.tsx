// What the hub told the platforms (发货回传, 卖家备注) and what they answered: the account's outbound log with its counts,
// the exception queue with its actions (retry after a fix, correct and resend, mark handled), and an order's calls.
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { Alert, App, Button, Card, Col, Form, Input, Modal, Row, Select, Space, Statistic, Table, Tag, Typography, type ButtonProps } from 'antd';
import { ApiError, get, post, qs } from '../api.ts';
import { dateTime } from '../format.ts';
import { useI18n, type Key } from '../i18n.tsx';
import { useMe, useSession } from '../session.tsx';

export interface OutboundCall {
  id: number;
  kind: string;
  orderId: string | null;
  platformOrderId?: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastCode: string | null;
  lastLatencyMs: number | null;
  lastError: string | null;
  carrier: string | null;
  trackingNo: string | null;
  /** A tracking-number correction (更正运单号): the number it replaces on the platform. */
  replacesTrackingNo?: string | null;
  remark: string | null;
  flag: number | null;
  createdAt: string | null;
  updatedAt: string | null;
  confirmedAt: string | null;
  exception?: { reason: string; actions: string[] } | null;
  exceptionReason?: string | null;
  accountId?: string;
  /** In an order's 360° view: every request the write made (the call log). */
  requests?: { op: string; attempt: number; httpStatus: number | null; result: string; code: string | null; latencyMs: number; at: string }[];
}
interface Counts {
  pending: number;
  failed: number;
  refused: number;
  unconfirmed: number;
  overdue: number;
  stock: { pending: number; retrying: number; refused: number };
}

/** One request the hub made to a platform (the call log). */
export interface PlatformCall {
  id: number;
  kind: string;
  op: string;
  subject: string;
  orderId: string | null;
  attempt: number;
  httpStatus: number | null;
  result: string;
  code: string | null;
  error: string | null;
  latencyMs: number;
  at: string;
}
interface CallPage {
  items: PlatformCall[];
  nextBefore: number | null;
  last24h: { calls: number; ok: number; retry: number; refused: number; failed: number; slowestMs: number };
}

const callColor: Record<string, string> = { ok: 'green', retry: 'orange', refused: 'red', failed: 'red' };

/** The account's call log: every request to the platform, filtered by kind and result, newest first, paged on. */
export function CallLog({ accountId }: { accountId: string }) {
  const { t, locale } = useI18n();
  const me = useMe();
  const [kind, setKind] = useState('');
  const [result, setResult] = useState('');
  const [page, setPage] = useState<CallPage | null>(null);
  const [items, setItems] = useState<PlatformCall[]>([]);
  const load = useCallback(
    (before?: number) => {
      void get<CallPage>(`/api/channel-accounts/${accountId}/platform-calls${qs({ limit: 100, kind: kind || undefined, result: result || undefined, before })}`)
        .then((r) => (setPage(r), setItems((old) => (before === undefined ? r.items : [...old, ...r.items]))))
        .catch(() => undefined);
    },
    [accountId, kind, result],
  );
  useEffect(() => load(), [load]);
  const w = (group: 'kind' | 'result', code: string) => (t(`calls.${group}.${code}` as Key) as string | undefined) ?? code;
  const s = page?.last24h;
  return (
    <Card title={t('calls.title')} size="small" data-testid="call-log" extra={<Typography.Text type="secondary">{t('calls.hint')}</Typography.Text>}>
      {s && (
        <Row gutter={16} style={{ marginBottom: 12 }}>
          <Col span={5}><Statistic title={t('calls.last24h')} value={s.calls} /></Col>
          <Col span={4}><Statistic title={w('result', 'ok')} value={s.ok} /></Col>
          <Col span={4}><Statistic title={w('result', 'retry')} value={s.retry} valueStyle={s.retry ? { color: '#d46b08' } : undefined} /></Col>
          <Col span={4}><Statistic title={w('result', 'refused')} value={s.refused} valueStyle={s.refused ? { color: '#cf1322' } : undefined} /></Col>
          <Col span={3}><Statistic title={w('result', 'failed')} value={s.failed} valueStyle={s.failed ? { color: '#cf1322' } : undefined} /></Col>
          <Col span={4}><Statistic title={t('calls.slowest')} value={s.slowestMs} suffix="ms" /></Col>
        </Row>
      )}
      <Space style={{ marginBottom: 12 }}>
        <Select
          style={{ width: 140 }}
          value={kind}
          onChange={setKind}
          data-testid="call-kind"
          options={[{ value: '', label: `${t('calls.kind')}：${t('calls.all')}` }, ...['ship_back', 'remark', 'stock', 'waybill'].map((k) => ({ value: k, label: w('kind', k) }))]}
        />
        <Select
          style={{ width: 140 }}
          value={result}
          onChange={setResult}
          data-testid="call-result"
          options={[{ value: '', label: `${t('calls.result')}：${t('calls.all')}` }, ...['ok', 'retry', 'refused', 'failed'].map((k) => ({ value: k, label: w('result', k) }))]}
        />
      </Space>
      <Table
        size="small"
        rowKey="id"
        dataSource={items}
        pagination={false}
        columns={[
          { title: t('calls.when'), dataIndex: 'at', render: (v: string) => dateTime(v, me.timezone, locale) },
          { title: t('calls.kind'), dataIndex: 'kind', render: (k: string) => w('kind', k) },
          { title: t('calls.op'), dataIndex: 'op', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
          { title: t('calls.subject'), render: (_: unknown, c: PlatformCall) => (c.orderId ? <Link to={`/orders/${c.orderId}`}>{c.subject}</Link> : c.subject) },
          { title: t('calls.attempt'), dataIndex: 'attempt' },
          { title: t('calls.http'), dataIndex: 'httpStatus', render: (v: number | null) => (v === null ? '—' : v) },
          { title: t('calls.result'), render: (_: unknown, c: PlatformCall) => <Tag color={callColor[c.result]}>{w('result', c.result)}</Tag> },
          { title: t('calls.code'), render: (_: unknown, c: PlatformCall) => (c.code ? <span title={c.error ?? undefined}>{c.code}</span> : '—') },
          { title: t('calls.latency'), dataIndex: 'latencyMs', render: (v: number) => `${v} ms` },
        ]}
      />
      {page?.nextBefore !== null && page?.nextBefore !== undefined && (
        <Button style={{ marginTop: 8 }} onClick={() => load(page.nextBefore ?? undefined)}>
          {t('calls.more')}
        </Button>
      )}
    </Card>
  );
}

const stateColor: Record<string, string> = { pending: 'blue', in_flight: 'blue', done: 'green', failed: 'red', refused: 'red', superseded: 'default' };

/** The translated words for a code of a group (`outbound.kind.ship_back`); a code the catalogue lacks shows as "other". */
function useWords() {
  const { t } = useI18n();
  const word = (group: 'kind' | 'state' | 'reason', code: string | null | undefined): string => {
    // A code the catalogue lacks is never shown raw: "other" for a reason, a dash otherwise.
    const known = t(`outbound.${group}.${code ?? ''}` as Key) as string | undefined;
    return known ?? (group === 'reason' ? t('outbound.reason.other') : '—');
  };
  return word;
}

function Result({ c }: { c: OutboundCall }) {
  const { t } = useI18n();
  const word = useWords();
  const reason = c.exception?.reason ?? c.exceptionReason ?? null;
  return (
    <Space size={4} wrap>
      <Tag color={stateColor[c.state] ?? 'default'}>{word('state', c.state)}</Tag>
      {c.confirmedAt && <Tag color="green">{t('outbound.confirmed')}</Tag>}
      {reason && <Typography.Text type="danger">{word('reason', reason)}</Typography.Text>}
    </Space>
  );
}

function detailOf(c: OutboundCall, t: (k: Key) => string): string {
  if (c.kind === 'remark') return `${c.remark ?? ''}${c.flag !== null ? ` · ${t('remark.flag')} ${t(`remark.flag.${c.flag}` as Key)}` : ''}`;
  const sent = [c.carrier, c.trackingNo].filter(Boolean).join(' ');
  return c.replacesTrackingNo ? `${sent} (${t('outbound.replaces')} ${c.replacesTrackingNo})` : sent;
}

/** The account's outbound log: counts of pending, failed, refused and unconfirmed writes, and every call. */
export function OutboundLog({ accountId }: { accountId: string }) {
  const { t, locale } = useI18n();
  const me = useMe();
  const word = useWords();
  const [items, setItems] = useState<OutboundCall[]>([]);
  const [counts, setCounts] = useState<Counts | null>(null);
  const [active, setActive] = useState(true);
  useEffect(() => {
    void get<{ items: OutboundCall[]; counts: Counts; accountActive: boolean }>(`/api/channel-accounts/${accountId}/outbound?limit=100`)
      .then((r) => (setItems(r.items), setCounts(r.counts), setActive(r.accountActive)))
      .catch(() => undefined);
  }, [accountId]);
  const when = (iso: string | null) => dateTime(iso, me.timezone, locale);
  return (
    <Card title={t('outbound.log')} size="small" data-testid="outbound-log">
      {!active && <Alert type="warning" showIcon message={t('outbound.paused')} style={{ marginBottom: 12 }} />}
      {counts && (
        <Row gutter={16} style={{ marginBottom: 12 }}>
          <Col span={4}><Statistic title={t('outbound.pending')} value={counts.pending} /></Col>
          <Col span={5}><Statistic title={t('outbound.failed')} value={counts.failed} valueStyle={counts.failed ? { color: '#cf1322' } : undefined} /></Col>
          <Col span={5}><Statistic title={t('outbound.refused')} value={counts.refused} valueStyle={counts.refused ? { color: '#cf1322' } : undefined} /></Col>
          <Col span={5}><Statistic title={t('outbound.unconfirmed')} value={counts.unconfirmed} /></Col>
          <Col span={5}><Statistic title={t('outbound.overdue')} value={counts.overdue} valueStyle={counts.overdue ? { color: '#d46b08' } : undefined} /></Col>
        </Row>
      )}
      {counts && (
        <Row gutter={16} style={{ marginBottom: 12 }} data-testid="stock-counts">
          <Col span={4}><Statistic title={t('outbound.stockPending')} value={counts.stock.pending} /></Col>
          <Col span={5}><Statistic title={t('outbound.stockRetrying')} value={counts.stock.retrying} valueStyle={counts.stock.retrying ? { color: '#d46b08' } : undefined} /></Col>
          <Col span={5}><Statistic title={t('outbound.stockRefused')} value={counts.stock.refused} valueStyle={counts.stock.refused ? { color: '#cf1322' } : undefined} /></Col>
        </Row>
      )}
      <Table
        size="small"
        rowKey="id"
        dataSource={items}
        pagination={{ pageSize: 20 }}
        columns={[
          { title: t('outbound.kind'), dataIndex: 'kind', render: (k: string) => word('kind', k) },
          { title: t('outbound.order'), render: (_: unknown, c: OutboundCall) => (c.orderId ? <Link to={`/orders/${c.orderId}`}>{c.platformOrderId ?? c.orderId}</Link> : '—') },
          { title: t('outbound.detail'), render: (_: unknown, c: OutboundCall) => detailOf(c, t) },
          { title: t('outbound.attempts'), dataIndex: 'attempts' },
          { title: t('outbound.answer'), dataIndex: 'lastStatus', render: (v: number | null) => (v === null ? '—' : `HTTP ${v}`) },
          { title: t('outbound.latency'), dataIndex: 'lastLatencyMs', render: (v: number | null) => (v === null ? '—' : `${v} ms`) },
          { title: t('outbound.result'), render: (_: unknown, c: OutboundCall) => <Result c={c} /> },
          { title: t('outbound.when'), dataIndex: 'updatedAt', render: when },
        ]}
      />
    </Card>
  );
}

/** One order's ship-back and remark calls, in its 360° view. */
export function PlatformCalls({ calls }: { calls: OutboundCall[] }) {
  const { t, locale } = useI18n();
  const me = useMe();
  const word = useWords();
  if (!calls.length) return null;
  return (
    <Card title={t('outbound.platformCalls')} size="small" data-testid="platform-calls">
      <Table
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={calls}
        expandable={{
          rowExpandable: (c) => Boolean(c.requests?.length),
          expandedRowRender: (c) => (
            <Table
              size="small"
              rowKey={(r) => `${r.at}-${r.op}-${r.attempt}`}
              pagination={false}
              dataSource={c.requests ?? []}
              data-testid="call-requests"
              columns={[
                { title: t('calls.when'), dataIndex: 'at', render: (v: string) => dateTime(v, me.timezone, locale) },
                { title: t('calls.op'), dataIndex: 'op', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
                { title: t('calls.attempt'), dataIndex: 'attempt' },
                { title: t('calls.http'), dataIndex: 'httpStatus', render: (v: number | null) => (v === null ? '—' : v) },
                { title: t('calls.result'), dataIndex: 'result', render: (v: string) => <Tag color={callColor[v]}>{(t(`calls.result.${v}` as Key) as string | undefined) ?? v}</Tag> },
                { title: t('calls.code'), dataIndex: 'code', render: (v: string | null) => v ?? '—' },
                { title: t('calls.latency'), dataIndex: 'latencyMs', render: (v: number) => `${v} ms` },
              ]}
            />
          ),
        }}
        columns={[
          { title: t('outbound.kind'), dataIndex: 'kind', render: (k: string) => word('kind', k) },
          { title: t('outbound.detail'), render: (_: unknown, c: OutboundCall) => detailOf(c, t) },
          { title: t('outbound.attempts'), dataIndex: 'attempts' },
          { title: t('outbound.result'), render: (_: unknown, c: OutboundCall) => <Result c={c} /> },
          { title: t('outbound.platformSays'), dataIndex: 'lastError', render: (v: string | null) => v ?? '—' },
          { title: t('outbound.when'), dataIndex: 'updatedAt', render: (v: string | null) => dateTime(v, me.timezone, locale) },
        ]}
      />
    </Card>
  );
}

/** The exception queue: refused, given-up and unconfirmed writes, oldest first, with what a person may do. */
export default function OutboundExceptions() {
  const { t, locale } = useI18n();
  const me = useMe();
  const { can } = useSession();
  const { message } = App.useApp();
  const word = useWords();
  const [items, setItems] = useState<OutboundCall[] | null>(null);
  const [resend, setResend] = useState<OutboundCall | null>(null);
  const [handle, setHandle] = useState<OutboundCall | null>(null);
  const [busy, setBusy] = useState(false);
  const [resendForm] = Form.useForm<{ carrier?: string; trackingNo?: string }>();
  const [handleForm] = Form.useForm<{ note: string }>();
  const modify = can('orders.modify');
  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : String(e));
  const load = useCallback(() => {
    void get<{ items: OutboundCall[] }>(`/api/outbound-exceptions${qs({ limit: 200 })}`).then((r) => setItems(r.items)).catch(fail);
  }, []);
  useEffect(load, [load]);
  const act = (p: Promise<unknown>) => {
    setBusy(true);
    void p
      .then(() => (message.success(t('outbound.done')), setResend(null), setHandle(null), load()))
      .catch(fail)
      .finally(() => setBusy(false));
  };
  const clean = (v: { carrier?: string; trackingNo?: string }) => Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string' && x.trim() !== '').map(([k, x]) => [k, (x as string).trim()]));

  return (
    <Card title={t('outbound.title')} data-testid="outbound-exceptions">
      <Table
        size="small"
        rowKey="id"
        loading={items === null}
        dataSource={items ?? []}
        locale={{ emptyText: t('outbound.empty') }}
        columns={[
          { title: t('outbound.kind'), dataIndex: 'kind', render: (k: string) => word('kind', k) },
          { title: t('outbound.order'), render: (_: unknown, c: OutboundCall) => (c.orderId ? <Link to={`/orders/${c.orderId}`}>{c.platformOrderId ?? c.orderId}</Link> : '—') },
          { title: t('outbound.shop'), dataIndex: 'accountId', render: (a: string) => <Link to={`/accounts/${a}`}>{t('nav.accounts')}</Link> },
          { title: t('outbound.detail'), render: (_: unknown, c: OutboundCall) => detailOf(c, t) },
          { title: t('outbound.reason'), render: (_: unknown, c: OutboundCall) => <Typography.Text type="danger" data-testid="exception-reason">{word('reason', c.exception?.reason)}</Typography.Text> },
          { title: t('outbound.platformSays'), dataIndex: 'lastError', render: (v: string | null) => v ?? '—' },
          { title: t('outbound.when'), dataIndex: 'updatedAt', render: (v: string | null) => dateTime(v, me.timezone, locale) },
          {
            title: t('outbound.actions'),
            render: (_: unknown, c: OutboundCall) => (
              <Space size={4} wrap>
                {c.exception?.actions.includes('retry') && <Button size="small" disabled={!modify || busy} data-testid={`retry-${c.id}`} onClick={() => act(post(`/api/outbound-calls/${c.id}/retry`))}>{t('outbound.retry')}</Button>}
                {c.exception?.actions.includes('resend') && <Button size="small" disabled={!modify || busy} data-testid={`resend-${c.id}`} onClick={() => (resendForm.setFieldsValue({ carrier: c.carrier ?? '', trackingNo: c.trackingNo ?? '' }), setResend(c))}>{t('outbound.resend')}</Button>}
                {c.exception?.actions.includes('handle') && <Button size="small" disabled={!modify || busy} data-testid={`handle-${c.id}`} onClick={() => (handleForm.resetFields(), setHandle(c))}>{t('outbound.handle')}</Button>}
              </Space>
            ),
          },
        ]}
      />
      <Modal open={resend !== null} title={t('outbound.resend')} okButtonProps={{ loading: busy, 'data-testid': 'resend-ok' } as ButtonProps} onCancel={() => setResend(null)} onOk={() => resend && act(resendForm.validateFields().then((v) => post(`/api/outbound-calls/${resend.id}/resend`, clean(v))))}>
        <Form form={resendForm} layout="vertical">
          <Form.Item name="carrier" label={t('outbound.carrier')}><Input data-testid="resend-carrier" /></Form.Item>
          <Form.Item name="trackingNo" label={t('outbound.trackingNo')}><Input data-testid="resend-tracking" /></Form.Item>
        </Form>
      </Modal>
      <Modal open={handle !== null} title={t('outbound.handle')} okButtonProps={{ loading: busy, 'data-testid': 'handle-ok' } as ButtonProps} onCancel={() => setHandle(null)} onOk={() => handle && act(handleForm.validateFields().then((v) => post(`/api/outbound-calls/${handle.id}/handled`, { note: v.note.trim() })))}>
        <Form form={handleForm} layout="vertical">
          <Form.Item name="note" label={t('outbound.note')} rules={[{ required: true, whitespace: true, message: t('outbound.note') }]}><Input.TextArea data-testid="handle-note" maxLength={500} /></Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}

/** The seller's remark and flag (卖家备注/旗帜) of an order: kept in the hub and written back to the platform. */
export function SellerRemark({ orderId, current, onSaved }: { orderId: string; current: { text: string; flag: number | null } | null; onSaved: () => void }) {
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const [text, setText] = useState(current?.text ?? '');
  const [flag, setFlag] = useState<number | null>(current?.flag ?? null);
  const [busy, setBusy] = useState(false);
  useEffect(() => (setText(current?.text ?? ''), setFlag(current?.flag ?? null)), [current?.text, current?.flag]);
  const save = () => {
    setBusy(true);
    void post(`/api/orders/${orderId}/remark`, { text: text.trim(), ...(flag !== null ? { flag } : {}) })
      .then(() => (message.success(t('remark.saved')), onSaved()))
      .catch((e: unknown) => message.error(e instanceof ApiError ? e.message : String(e)))
      .finally(() => setBusy(false));
  };
  return (
    <Card title={t('remark.title')} size="small" style={{ marginTop: 16 }} data-testid="seller-remark">
      <Space direction="vertical" style={{ width: '100%' }}>
        <Input.TextArea value={text} onChange={(e) => setText(e.target.value)} maxLength={1000} disabled={!can('orders.modify')} placeholder={t('remark.text')} data-testid="remark-text" />
        <Space wrap>
          <span>{t('remark.flag')}</span>
          {[0, 1, 2, 3, 4, 5].map((f) => (
            <Tag.CheckableTag key={f} checked={flag === f} onChange={() => setFlag(f)} data-testid={`remark-flag-${f}`}>
              {t(`remark.flag.${f}` as Key)}
            </Tag.CheckableTag>
          ))}
          <Button type="primary" size="small" loading={busy} disabled={!can('orders.modify') || !text.trim()} onClick={save} data-testid="remark-save">
            {t('remark.save')}
          </Button>
        </Space>
      </Space>
    </Card>
  );
}
