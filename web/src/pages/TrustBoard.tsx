// The delivery trust board (签收可信度): per carrier, how its deliveries were proven — signature or OTP, photo, locker or
// station, scan only — and the share a customer can be told is truly delivered; the same per outlet.
import { useEffect, useMemo, useState } from 'react';
import { Alert, Card, Empty, Progress, Segmented, Space, Table, Typography } from 'antd';
import { get, qs } from '../api.ts';
import { Chart, type ChartOption } from '../chart.tsx';
import { count } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { errorText, gradeColor, trackingMissing, trustGrades } from '../shipping.tsx';
import type { TrustBoard as TrustBoardData, TrustRow } from '../types.ts';

type Loaded = { kind: 'loading' } | { kind: 'missing' } | { kind: 'error'; message: string } | { kind: 'ok'; board: TrustBoardData };

export default function TrustBoard() {
  const { t, label, locale } = useI18n();
  const [days, setDays] = useState(30);
  const [state, setState] = useState<Loaded>({ kind: 'loading' });

  useEffect(() => {
    get<TrustBoardData>(`/api/tracking/trust-board${qs({ days })}`)
      .then((board) => setState({ kind: 'ok', board }))
      .catch((e: unknown) => setState(trackingMissing(e) ? { kind: 'missing' } : { kind: 'error', message: errorText(e) }));
  }, [days]);

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
    </Card>
  );
}
