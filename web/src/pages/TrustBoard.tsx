// The delivery trust board (签收可信度): per carrier, how its deliveries were proven — signature or OTP, photo, locker or
// station, scan only — and the share a customer can be told is truly delivered; the same per outlet. Below it, the
// tenant's trust and tracking alert thresholds, which the board's "trusted" and the alerts follow.
import { useEffect, useMemo, useState } from 'react';
import { Alert, Button, Card, Collapse, Empty, Form, InputNumber, Progress, Segmented, Select, Space, Table, Typography } from 'antd';
import { ApiError, get, put, qs } from '../api.ts';
import { Chart, type ChartOption } from '../chart.tsx';
import { count, dateTime } from '../format.ts';
import { useMe } from '../session.tsx';
import { useI18n } from '../i18n.tsx';
import { errorText, gradeColor, trackingMissing, trustGrades } from '../shipping.tsx';
import type { TrustBoard as TrustBoardData, TrustRow } from '../types.ts';

type Loaded = { kind: 'loading' } | { kind: 'missing' } | { kind: 'error'; message: string } | { kind: 'ok'; board: TrustBoardData };

/** GET/PUT /api/tracking/settings. */
interface TrackingSettings {
  trustedGrades: string[];
  recheckCount: number;
  recheckIntervalMinutes: number;
  notReceivedWindowHours: number;
  noPickupHours: number;
  firstEventLateHours: number;
  firstEventEarlyHours: number;
  stuckHours: Record<string, number | null>;
  custom: boolean;
  updatedAt: string | null;
  updatedBy: string | null;
}
type Scalar = 'recheckCount' | 'recheckIntervalMinutes' | 'notReceivedWindowHours' | 'noPickupHours' | 'firstEventLateHours' | 'firstEventEarlyHours';
type FormValues = Pick<TrackingSettings, Scalar> & { trustedUpTo: string; stuckHours: Record<string, number | null> };

// This page's own words (the shared dictionary belongs to the whole console).
const words = {
  zh: {
    title: '可信度与预警设置',
    defaults: '当前为默认值',
    saved: '已保存',
    save: '保存',
    by: '修改人',
    trustedUpTo: '视为已签收的最低凭证',
    recheckCount: '复核次数',
    recheckIntervalMinutes: '复核间隔（分钟）',
    notReceivedWindowHours: '未收到投诉加急窗口（小时）',
    noPickupHours: '发货后未揽收预警（小时）',
    firstEventLateHours: '首条轨迹晚于发货（小时）',
    firstEventEarlyHours: '首条轨迹早于发货（小时）',
    stuck: '各状态停滞预警（小时，留空为不预警）',
  },
  en: {
    title: 'Trust and alert settings',
    defaults: 'Defaults in use',
    saved: 'Saved',
    save: 'Save',
    by: 'changed by',
    trustedUpTo: 'Weakest proof told as delivered',
    recheckCount: 'Re-checks',
    recheckIntervalMinutes: 'Minutes between re-checks',
    notReceivedWindowHours: '"Not received" urgent within (hours)',
    noPickupHours: 'No pickup scan after (hours)',
    firstEventLateHours: 'First event after shipping by (hours)',
    firstEventEarlyHours: 'First event before shipping by (hours)',
    stuck: 'Stuck in a state after (hours; empty: never)',
  },
} as const;
const scalars: { key: Scalar; min: number; max: number }[] = [
  { key: 'recheckCount', min: 0, max: 20 },
  { key: 'recheckIntervalMinutes', min: 1, max: 1440 },
  { key: 'notReceivedWindowHours', min: 1, max: 720 },
  { key: 'noPickupHours', min: 1, max: 720 },
  { key: 'firstEventLateHours', min: 1, max: 720 },
  { key: 'firstEventEarlyHours', min: 0, max: 720 },
];

function SettingsCard({ onSaved }: { onSaved: () => void }) {
  const { lang, label, locale } = useI18n();
  const me = useMe();
  const w = words[lang];
  const [current, setCurrent] = useState<TrackingSettings | null>(null);
  const [problem, setProblem] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    get<TrackingSettings>('/api/tracking/settings')
      .then(setCurrent)
      .catch((e: unknown) => setProblem([errorText(e)]));
  }, []);

  const save = async (v: FormValues) => {
    setBusy(true);
    setProblem(null);
    setSaved(false);
    try {
      // Trusting a grade trusts every stronger one: the list is the strength order up to the chosen grade.
      const upTo = trustGrades.indexOf(v.trustedUpTo as (typeof trustGrades)[number]);
      const stuckHours = Object.fromEntries(Object.entries(v.stuckHours ?? {}).map(([k, h]) => [k, typeof h === 'number' ? h : null]));
      const body = { ...Object.fromEntries(scalars.map((f) => [f.key, v[f.key]])), trustedGrades: trustGrades.slice(0, upTo + 1), stuckHours };
      setCurrent(await put<TrackingSettings>('/api/tracking/settings', body));
      setSaved(true);
      onSaved();
    } catch (e) {
      const details = e instanceof ApiError ? (e.details as { errors?: unknown[] } | undefined) : undefined;
      const list = Array.isArray(details?.errors) ? details.errors.map((x) => (typeof x === 'string' ? x : `${(x as { path?: string }).path ?? ''} ${(x as { message?: string }).message ?? ''}`.trim())) : [];
      setProblem(list.length ? list : [errorText(e)]);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card
      size="small"
      title={w.title}
      data-testid="tracking-settings"
      extra={current && (current.custom ? <Typography.Text type="secondary">{`${w.by} ${current.updatedBy ?? '—'} · ${dateTime(current.updatedAt, me.timezone, locale)}`}</Typography.Text> : <Typography.Text type="secondary">{w.defaults}</Typography.Text>)}
    >
      {problem && <Alert type="error" showIcon style={{ marginBottom: 12 }} title={<span data-testid="tracking-settings-error">{problem.join('; ')}</span>} />}
      {saved && <Alert type="success" showIcon style={{ marginBottom: 12 }} title={w.saved} />}
      {current && (
        <Form<FormValues>
          // A saved change mounts the form again, from what the hub now holds.
          key={current.updatedAt ?? 'defaults'}
          initialValues={{ ...current, trustedUpTo: current.trustedGrades.at(-1) ?? trustGrades[0], stuckHours: { ...current.stuckHours } }}
          layout="inline"
          onFinish={(v) => void save(v)}
          style={{ rowGap: 12 }}
        >
          <Form.Item name="trustedUpTo" label={w.trustedUpTo}>
            <Select style={{ width: 180 }} options={trustGrades.map((g) => ({ value: g, label: label('grade', g) }))} />
          </Form.Item>
          {scalars.map((f) => (
            <Form.Item key={f.key} name={f.key} label={w[f.key]} rules={[{ required: true }]}>
              <InputNumber min={f.min} max={f.max} precision={0} style={{ width: 96 }} />
            </Form.Item>
          ))}
          <Collapse
            size="small"
            style={{ width: '100%' }}
            items={[
              {
                key: 'stuck',
                label: w.stuck,
                children: (
                  <Space wrap>
                    {Object.keys(current.stuckHours).map((st) => (
                      <Form.Item key={st} name={['stuckHours', st]} label={label('track', st)} style={{ marginBottom: 0 }}>
                        <InputNumber min={1} max={2160} precision={0} style={{ width: 90 }} />
                      </Form.Item>
                    ))}
                  </Space>
                ),
              },
            ]}
          />
          <Form.Item>
            <Button type="primary" htmlType="submit" loading={busy} data-testid="tracking-settings-save">
              {w.save}
            </Button>
          </Form.Item>
        </Form>
      )}
    </Card>
  );
}

export default function TrustBoard() {
  const { t, label, locale } = useI18n();
  const [days, setDays] = useState(30);
  const [state, setState] = useState<Loaded>({ kind: 'loading' });
  // Saved settings may change which grades count as trusted: the board is read again.
  const [version, setVersion] = useState(0);

  useEffect(() => {
    get<TrustBoardData>(`/api/tracking/trust-board${qs({ days })}`)
      .then((board) => setState({ kind: 'ok', board }))
      .catch((e: unknown) => setState(trackingMissing(e) ? { kind: 'missing' } : { kind: 'error', message: errorText(e) }));
  }, [days, version]);

  const carriers = useMemo(() => (state.kind === 'ok' ? state.board.carriers : []), [state]);
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 0 },
      grid: { left: 48, right: 56, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: carriers.map((c) => c.carrier) },
      yAxis: [
        { type: 'value', minInterval: 1 },
        { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' }, splitLine: { show: false } },
      ],
      series: [
        ...trustGrades.map((g) => ({
          name: label('grade', g),
          type: 'bar',
          stack: 'grade',
          itemStyle: { color: gradeColor[g] },
          emphasis: { focus: 'series' },
          data: carriers.map((c) => c.byGrade[g] ?? 0),
        })),
        {
          name: t('trust.rate'),
          type: 'line',
          yAxisIndex: 1,
          itemStyle: { color: '#1f5fbf' },
          tooltip: { valueFormatter: (v: unknown) => (typeof v === 'number' ? `${v}%` : '—') },
          data: carriers.map((c) => (c.trustRate === null ? null : Math.round(c.trustRate * 1000) / 10)),
        },
      ],
    }),
    [carriers, label, t],
  );

  const n = (v: number) => count(v, locale);
  const rate = (v: number | null) => (v === null ? '—' : <Progress percent={Math.round(v * 1000) / 10} size="small" status={v >= 0.8 ? 'success' : v >= 0.5 ? 'normal' : 'exception'} style={{ width: 140 }} />);
  const gradeColumns = trustGrades.map((g) => ({ title: label('grade', g), key: g, align: 'right' as const, render: (_: unknown, r: TrustRow) => n(r.byGrade[g] ?? 0) }));

  return (
    <Card
      title={t('trust.title')}
      extra={<Segmented value={days} onChange={(v) => setDays(Number(v))} options={[7, 30, 90].map((d) => ({ value: d, label: `${d} ${t('trust.days')}` }))} />}
    >
      <Typography.Paragraph type="secondary">{t('trust.explain')}</Typography.Paragraph>
      {state.kind === 'missing' && <Alert type="info" showIcon title={<span data-testid="tracking-not-connected">{t('tracking.notConnected')}</span>} />}
      {state.kind === 'error' && <Alert type="error" showIcon title={state.message} />}
      {state.kind === 'loading' && <Card loading variant="borderless" />}
      {state.kind === 'ok' && (
        <div data-testid="trust-board">
          <Space orientation="vertical" style={{ width: '100%' }} size={16}>
            {carriers.length === 0 ? <Empty description={t('trust.empty')} /> : <Chart option={option} height={320} testId="trust-chart" />}
            <Table<TrustBoardData['carriers'][number]>
              size="small"
              rowKey="carrier"
              pagination={false}
              dataSource={carriers}
              columns={[
                { title: t('trust.carrier'), dataIndex: 'carrier' },
                { title: t('trust.delivered'), dataIndex: 'delivered', align: 'right', render: n },
                { title: t('trust.trusted'), dataIndex: 'trusted', align: 'right', render: n },
                { title: t('trust.rate'), dataIndex: 'trustRate', render: rate },
                ...gradeColumns,
              ]}
            />
            {state.board.outlets.length > 0 && (
              <Table<TrustBoardData['outlets'][number]>
                size="small"
                title={() => t('trust.outlets')}
                rowKey={(r) => `${r.carrier ?? ''}|${r.outlet ?? ''}`}
                pagination={{ pageSize: 20, hideOnSinglePage: true }}
                dataSource={state.board.outlets}
                columns={[
                  { title: t('trust.outlet'), dataIndex: 'outlet', render: (v: string | undefined) => v ?? '—' },
                  { title: t('trust.carrier'), dataIndex: 'carrier', render: (v: string | null | undefined) => v ?? '—' },
                  { title: t('trust.delivered'), dataIndex: 'delivered', align: 'right', render: n },
                  { title: t('trust.trusted'), dataIndex: 'trusted', align: 'right', render: n },
                  { title: t('trust.rate'), dataIndex: 'trustRate', render: rate },
                  ...gradeColumns,
                ]}
              />
            )}
          </Space>
        </div>
      )}
      {state.kind !== 'missing' && (
        <div style={{ marginTop: 16 }}>
          <SettingsCard onSaved={() => setVersion((v) => v + 1)} />
        </div>
      )}
    </Card>
  );
}
