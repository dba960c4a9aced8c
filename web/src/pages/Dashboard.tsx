// Today at a glance, and a chart of orders per minute that moves as orders arrive (server-sent events).
import { useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { Card, Col, Row, Statistic } from 'antd';
import { get } from '../api.ts';
import { Chart, type ChartOption } from '../chart.tsx';
import { count, money, time } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useMe } from '../session.tsx';
import type { Dashboard as DashboardData } from '../types.ts';

export default function Dashboard() {
  const { t, status, locale } = useI18n();
  const me = useMe();
  const navigate = useNavigate();
  const [d, setD] = useState<DashboardData | null>(null);
  const refresh = useRef<number | null>(null);

  useEffect(() => {
    let stopped = false;
    const load = () => get<DashboardData>('/api/dashboard').then((x) => !stopped && setD(x)).catch(() => undefined);
    void load();
    // The hub pushes a line per new order or status change; the counters are fetched again at most every 2 s.
    const stream = new EventSource('/api/stream');
    const onOrder = (e: MessageEvent<string>) => {
      const ev = JSON.parse(e.data) as { type: string; at: string };
      if (ev.type === 'order.created') {
        setD((cur) => {
          if (!cur) return cur;
          const minute = ev.at.slice(0, 16);
          const perMinute = cur.perMinute.map((p) => (p.minute.slice(0, 16) === minute ? { ...p, orders: p.orders + 1 } : p));
          return { ...cur, perMinute };
        });
      }
      if (refresh.current === null) refresh.current = window.setTimeout(() => ((refresh.current = null), void load()), 2000);
    };
    stream.addEventListener('order', onOrder as EventListener);
    return () => {
      stopped = true;
      stream.close();
      if (refresh.current !== null) window.clearTimeout(refresh.current);
    };
  }, []);

  const perMinute = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 40, right: 16, top: 16, bottom: 30 },
      xAxis: { type: 'category', data: d?.perMinute.map((p) => time(p.minute, me.timezone, locale)) ?? [] },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'line', smooth: true, areaStyle: {}, data: d?.perMinute.map((p) => p.orders) ?? [] }],
    }),
    [d, me.timezone, locale],
  );
  const byChannel = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'item' },
      series: [{ type: 'pie', radius: ['40%', '70%'], data: d?.byChannel.map((c) => ({ name: c.channel, value: c.orders })) ?? [] }],
    }),
    [d],
  );
  const byStatus = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 90, right: 16, top: 8, bottom: 24 },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: d?.byStatus.map((s) => status(s.status)) ?? [] },
      series: [{ type: 'bar', data: d?.byStatus.map((s) => s.orders) ?? [] }],
    }),
    [d, status],
  );

  return (
    <Row gutter={[16, 16]}>
      <Col xs={12} lg={6}>
        <Card>
          <Statistic title={t('dash.ordersToday')} value={d ? count(d.ordersToday, locale) : '—'} data-testid="orders-today" />
        </Card>
      </Col>
      <Col xs={12} lg={6}>
        <Card>
          <Statistic title={t('dash.paidToday')} value={d ? d.paidAmountToday.map((p) => money(p.amount, p.currency, locale)).join(' + ') || money(0, 'CNY', locale) : '—'} />
        </Card>
      </Col>
      <Col xs={12} lg={6}>
        <Card hoverable onClick={() => navigate('/orders?status=paid')}>
          <Statistic title={t('dash.waitingToShip')} value={d?.waitingToShip ?? '—'} />
        </Card>
      </Col>
      <Col xs={12} lg={6}>
        <Card hoverable onClick={() => navigate('/orders?hold=any')}>
          <Statistic title={t('dash.exceptions')} value={d?.exceptions ?? '—'} valueStyle={{ color: d?.exceptions ? '#cf1322' : undefined }} />
        </Card>
      </Col>
      <Col span={24}>
        <Card title={t('dash.perMinute')}>
          <Chart option={perMinute} testId="per-minute-chart" />
        </Card>
      </Col>
      <Col xs={24} lg={10}>
        <Card title={t('dash.byChannel')}>
          <Chart option={byChannel} />
        </Card>
      </Col>
      <Col xs={24} lg={14}>
        <Card title={t('dash.byStatus')}>
          <Chart option={byStatus} />
        </Card>
      </Col>
    </Row>
  );
}
