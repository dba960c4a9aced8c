// One channel account's integration (对接状况): what arrived and what was refused (and why), answer times, what polling
// recovered, drift alerts, the pull log, and the raw events with a replay button for after a mapping fix.
import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { Alert, App, Button, Card, Col, Descriptions, Row, Space, Statistic, Table, Tag, Typography } from 'antd';
import { ApiError, get, post, qs } from '../api.ts';
import { count, dateTime } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useMe, useSession } from '../session.tsx';
import type { ChannelAlert, Integration as Overview, Platform, PullRun, RawEventRow } from '../types.ts';
import { CallLog, OutboundLog } from './Outbound.tsx';

const outcomeColor: Record<string, string> = { created: 'green', updated: 'blue', unchanged: 'default', duplicate: 'default', stale: 'orange', refused_transition: 'red', no_order: 'default' };

export default function Integration() {
  const { id = '' } = useParams();
  const { t, locale } = useI18n();
  const me = useMe();
  const { can } = useSession();
  const { message } = App.useApp();
  const [o, setO] = useState<Overview | null>(null);
  const [alerts, setAlerts] = useState<ChannelAlert[]>([]);
  const [pulls, setPulls] = useState<PullRun[]>([]);
  const [raws, setRaws] = useState<RawEventRow[]>([]);
  const [platform, setPlatform] = useState<Platform | null>(null);
  const [pulling, setPulling] = useState(false);
  const manage = can('accounts.manage');
  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : String(e));
  const when = (iso: string | null | undefined) => dateTime(iso, me.timezone, locale);

  const load = useCallback(() => {
    void get<Overview>(`/api/channel-accounts/${id}/integration`).then(setO).catch(fail);
    void get<{ items: ChannelAlert[] }>(`/api/channel-alerts${qs({ accountId: id, limit: 100 })}`).then((r) => setAlerts(r.items)).catch(() => undefined);
    void get<{ items: PullRun[] }>(`/api/channel-accounts/${id}/pulls?limit=20`).then((r) => setPulls(r.items)).catch(() => undefined);
    void get<{ items: RawEventRow[] }>(`/api/channel-accounts/${id}/raw-events?limit=50`).then((r) => setRaws(r.items)).catch(() => undefined);
  }, [id]);
  useEffect(load, [load]);
  useEffect(() => {
    if (!o) return;
    void get<{ items: Platform[] }>('/api/platforms').then((r) => setPlatform(r.items.find((p) => p.platform === o.account.platform) ?? null)).catch(() => undefined);
  }, [o?.account.platform]);

  if (!o) return <Card loading />;
  const a = o.sinceStart.answers;
  const pullNow = () => {
    setPulling(true);
    void post<PullRun>(`/api/channel-accounts/${id}/pull`)
      .then((r) => (r.errorCode ? message.warning(`${r.errorCode}: ${r.error ?? ''}`) : message.success(`${t('integration.pullDone')}: ${r.fetched} / ${r.recovered}`)))
      .catch(fail)
      .finally(() => (setPulling(false), load()));
  };

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Card
        title={
          <Space>
            <Link to="/accounts">{t('nav.accounts')}</Link>/<span>{o.account.name}</span>
            <Tag>{platform?.label ?? o.account.platform}</Tag>
            {!o.account.active && <Tag color="red">off</Tag>}
          </Space>
        }
        extra={o.pull.supported && !o.pull.configured ? <Typography.Text type="secondary">{t('integration.pullNotConfigured')}</Typography.Text> : o.pull.supported ? <Button data-testid="pull-now" disabled={!manage} loading={pulling} onClick={pullNow}>{t('integration.pullNow')}</Button> : <Typography.Text type="secondary">{t('integration.noPull')}</Typography.Text>}
      >
        <Row gutter={16}>
          <Col span={4}><Statistic title={t('integration.pushed')} value={o.last24h.pushed} formatter={(v) => count(Number(v), locale)} /></Col>
          <Col span={4}><Statistic title={t('integration.pulled')} value={o.last24h.pulled} formatter={(v) => count(Number(v), locale)} /></Col>
          <Col span={4}><Statistic title={t('integration.recovered')} value={o.last24h.recovered} valueStyle={o.last24h.recovered ? { color: '#d46b08' } : undefined} /></Col>
          <Col span={4}><Statistic title={t('integration.refused')} value={o.sinceStart.refused.total} valueStyle={o.sinceStart.refused.total ? { color: '#cf1322' } : undefined} /></Col>
          <Col span={4}><Statistic title={t('integration.answers')} value={a.count ? `${a.p50Ms ?? '–'} / ${a.p99Ms ?? '–'} ms` : '–'} /></Col>
          <Col span={4}><Statistic title={t('integration.overDeadline')} value={a.overDeadline} suffix={`(> ${a.deadlineMs / 1000} s)`} /></Col>
        </Row>
        <Descriptions size="small" column={3} style={{ marginTop: 16 }}>
          <Descriptions.Item label={t('integration.recoveredAll')}>{o.recoveredAllTime}</Descriptions.Item>
          <Descriptions.Item label={t('integration.watermark')}>{when(o.pullState?.watermark)}</Descriptions.Item>
          <Descriptions.Item label={t('integration.nextRun')}>{when(o.pullState?.nextRunAt)}</Descriptions.Item>
          <Descriptions.Item label={t('integration.lastPull')} span={3}>
            {o.lastPull ? `${when(o.lastPull.startedAt)} · ${o.lastPull.fetched} / ${o.lastPull.recovered} · ${o.lastPull.durationMs} ms${o.lastPull.errorCode ? ` · ${o.lastPull.errorCode}` : ''}` : '–'}
          </Descriptions.Item>
          {Object.entries(o.sinceStart.refused.byCode).map(([code, n]) => (
            <Descriptions.Item key={code} label={code}>{n}</Descriptions.Item>
          ))}
        </Descriptions>
        {o.pullState?.lastError && <Alert type="error" showIcon message={o.pullState.lastError} style={{ marginTop: 8 }} />}
      </Card>

      <Card title={t('integration.alerts')} size="small">
        <Table<ChannelAlert>
          rowKey="id"
          size="small"
          dataSource={alerts}
          pagination={false}
          columns={[
            { title: 'kind', dataIndex: 'kind', render: (v: string, x) => <Tag color={x.acknowledgedAt ? 'default' : 'red'}>{v}</Tag> },
            { title: 'message', dataIndex: 'message' },
            { title: '×', dataIndex: 'occurrences' },
            { title: t('integration.lastAt'), dataIndex: 'lastAt', render: (v: string) => when(v) },
            {
              title: t('common.actions'),
              render: (_: unknown, x) =>
                x.acknowledgedAt ? `${x.acknowledgedBy ?? ''}` : (
                  <Button size="small" disabled={!manage} onClick={() => void post(`/api/channel-alerts/${x.id}/acknowledge`).then(load).catch(fail)}>
                    {t('integration.acknowledge')}
                  </Button>
                ),
            },
          ]}
        />
      </Card>

      <Row gutter={16}>
        <Col span={12}>
          <Card title={t('integration.pullLog')} size="small">
            <Table<PullRun>
              rowKey={(r) => String(r.id)}
              size="small"
              dataSource={pulls}
              pagination={false}
              columns={[
                { title: t('integration.lastPull'), dataIndex: 'startedAt', render: (v: string, r) => `${when(v)} · ${r.durationMs} ms` },
                { title: t('integration.window'), render: (_: unknown, r) => `${when(r.windowFrom)} → ${when(r.windowTo)}` },
                { title: t('integration.found'), render: (_: unknown, r) => `${r.fetched} / ${r.created} / ${r.updated} / ${r.recovered}` },
                { title: '', render: (_: unknown, r) => (r.errorCode ? <Tag color={r.rateLimited ? 'orange' : 'red'}>{r.errorCode}</Tag> : null) },
              ]}
            />
          </Card>
        </Col>
        <Col span={12}>
          <Card title={t('integration.refusedRecent')} size="small">
            <Table
              rowKey={(r) => `${r.at}${r.code}`}
              size="small"
              dataSource={o.sinceStart.refused.recent}
              pagination={false}
              columns={[
                { title: '', dataIndex: 'at', render: (v: string) => when(v) },
                { title: '', dataIndex: 'code', render: (v: string) => <Tag color="red">{v}</Tag> },
                { title: '', dataIndex: 'message' },
              ]}
            />
          </Card>
        </Col>
      </Row>

      <OutboundLog accountId={id} />
      <CallLog accountId={id} />
      <Card title={t('integration.rawEvents')} size="small">
        <Table<RawEventRow>
          rowKey="id"
          size="small"
          dataSource={raws}
          pagination={false}
          columns={[
            { title: '#', dataIndex: 'id' },
            { title: t('integration.via'), dataIndex: 'via', render: (v: string) => <Tag color={v === 'pull' ? 'purple' : 'blue'}>{v}</Tag> },
            { title: 'event', dataIndex: 'eventId', render: (v: string) => <Typography.Text code>{v.length > 40 ? `${v.slice(0, 40)}…` : v}</Typography.Text> },
            { title: '', dataIndex: 'receivedAt', render: (v: string) => when(v) },
            { title: t('integration.outcome'), dataIndex: 'outcome', render: (v: string) => <Tag color={outcomeColor[v] ?? 'default'}>{v}</Tag> },
            { title: '', dataIndex: 'orderId', render: (v: string | null) => (v ? <Link to={`/orders/${v}`}>→</Link> : null) },
            {
              title: t('common.actions'),
              render: (_: unknown, r) => (
                <Button
                  size="small"
                  disabled={!manage}
                  onClick={() =>
                    void post<{ orders: { orderNo: string; outcome: string; status: string; hold: string | null }[] }>(`/api/raw-events/${r.id}/replay`)
                      .then((x) => message.success(`${t('integration.replayed')}: ${x.orders.map((y) => `${y.orderNo} ${y.outcome} ${y.status}${y.hold ? ` (${y.hold})` : ''}`).join(', ') || '–'}`))
                      .then(load)
                      .catch(fail)
                  }
                >
                  {t('integration.replay')}
                </Button>
              ),
            },
          ]}
        />
      </Card>

      {platform && (
        <Card title={t('integration.statuses')} size="small">
          <Table
            rowKey="raw"
            size="small"
            dataSource={platform.statuses}
            pagination={false}
            columns={[
              { title: 'raw', dataIndex: 'raw', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
              { title: 'anchor', dataIndex: 'anchor', render: (v: string | null) => v ?? '–' },
              { title: 'hold', dataIndex: 'hold', render: (v: string | null) => (v ? <Tag color="orange">{v}</Tag> : null) },
              { title: '', dataIndex: 'doc' },
            ]}
          />
        </Card>
      )}
    </Space>
  );
}
