// Warehouse work (仓库作业): a wave of planned shipments, its pick list (on screen and printable), "picked", then pack
// by scanning every unit and ship with carrier and tracking number. Both inputs take a barcode scanner: it types the
// code and presses Enter. The page keeps what is open in the address bar, so a reload or a shared link lands there.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { Alert, App, Button, Card, Col, Descriptions, Empty, Input, InputNumber, Progress, Row, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import type { InputRef } from 'antd';
import { PrinterOutlined, ScanOutlined } from '@ant-design/icons';
import { ApiError, get, post, qs } from '../api.ts';
import { count, dateTime } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useMe, useSession } from '../session.tsx';
import { closed, errorText, gone, OrderLinks, packable, ShipmentStateTag } from '../shipping.tsx';
import type { PickList, ScanResult, Shipment, Wave, WaveSummary, Warehouse as WarehouseView } from '../types.ts';

export default function Warehouse() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') === 'pack' ? 'pack' : 'waves';
  const update = (next: Record<string, string | null>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(next)) {
      if (v) p.set(k, v);
      else p.delete(k);
    }
    setParams(p);
  };
  const openShipment = (id: string) => update({ tab: 'pack', shipment: id });
  return (
    <Card title={t('nav.warehouse')}>
      <Tabs
        activeKey={tab}
        onChange={(k) => update({ tab: k === 'pack' ? 'pack' : null })}
        items={[
          { key: 'waves', label: <span data-testid="tab-waves">{t('wh.waves')}</span>, children: <Waves waveId={params.get('wave')} onWave={(id) => update({ wave: id })} onPack={openShipment} /> },
          { key: 'pack', label: <span data-testid="tab-pack">{t('wh.packShip')}</span>, children: <PackStation shipmentId={params.get('shipment')} onOpen={openShipment} /> },
        ]}
      />
    </Card>
  );
}

// ---------- Waves and pick lists ----------

function Waves({ waveId, onWave, onPack }: { waveId: string | null; onWave: (id: string | null) => void; onPack: (shipmentId: string) => void }) {
  const { t, label, locale } = useI18n();
  const me = useMe();
  const { can } = useSession();
  const { message } = App.useApp();
  const [warehouses, setWarehouses] = useState<WarehouseView[]>([]);
  const [warehouse, setWarehouse] = useState<string>('');
  const [limit, setLimit] = useState<number | null>(null);
  const [planned, setPlanned] = useState<number | null>(null);
  const [waves, setWaves] = useState<WaveSummary[]>([]);
  const [creating, setCreating] = useState(false);

  useEffect(() => {
    if (!can('stock.read')) return;
    get<WarehouseView[]>('/api/warehouses')
      .then((w) => {
        setWarehouses(w);
        setWarehouse((cur) => cur || (w[0]?.code ?? ''));
      })
      .catch(() => undefined);
  }, [can]);

  const loadWaves = useCallback(() => void get<WaveSummary[]>(`/api/waves${qs({ limit: 100 })}`).then(setWaves).catch(() => undefined), []);
  useEffect(loadWaves, [loadWaves]);

  const loadPlanned = useCallback(() => {
    if (!warehouse) return setPlanned(null);
    get<{ total: number }>(`/api/shipments${qs({ warehouse, state: 'planned', pageSize: 1 })}`)
      .then((r) => setPlanned(r.total))
      .catch(() => setPlanned(null));
  }, [warehouse]);
  useEffect(loadPlanned, [loadPlanned]);

  const create = async () => {
    setCreating(true);
    try {
      const w = await post<Wave>('/api/waves', { warehouse: warehouse.trim(), ...(limit ? { limit } : {}) });
      message.success(`${t('wh.wave')} ${w.id} · ${t('wh.parcels')} ${count(w.shipments.length, locale)}`);
      onWave(w.id);
      loadWaves();
      loadPlanned();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setCreating(false);
    }
  };

  return (
    <Row gutter={16}>
      <Col xs={24} xl={10}>
        <Space wrap style={{ marginBottom: 12 }}>
          {warehouses.length > 0 ? (
            <Select
              style={{ width: 160 }}
              value={warehouse || undefined}
              onChange={setWarehouse}
              placeholder={t('order.warehouse')}
              options={warehouses.map((w) => ({ value: w.code, label: w.name && w.name !== w.code ? `${w.code} · ${w.name}` : w.code }))}
              data-testid="wave-warehouse"
            />
          ) : (
            <Input style={{ width: 160 }} value={warehouse} onChange={(e) => setWarehouse(e.target.value)} placeholder={t('order.warehouse')} data-testid="wave-warehouse" />
          )}
          <InputNumber min={1} max={1000} precision={0} value={limit} onChange={setLimit} placeholder={t('wh.limit')} style={{ width: 130 }} />
          <Button type="primary" loading={creating} disabled={!can('fulfilment.ship') || !warehouse.trim()} onClick={() => void create()} data-testid="create-wave">
            {t('wh.createWave')}
          </Button>
        </Space>
        <div style={{ marginBottom: 12 }}>
          <Typography.Text type="secondary">
            {t('wh.planned')}: <span data-testid="planned-count">{planned === null ? '—' : count(planned, locale)}</span>
          </Typography.Text>
        </div>
        <Table<WaveSummary>
          size="small"
          rowKey="id"
          dataSource={waves}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          rowClassName={(w) => (w.id === waveId ? 'ant-table-row-selected' : '')}
          onRow={(w) => ({ onClick: () => onWave(w.id), style: { cursor: 'pointer' } })}
          columns={[
            { title: t('wh.wave'), dataIndex: 'id', render: (v: string) => <Typography.Link data-testid="wave-link">{v}</Typography.Link> },
            { title: t('order.warehouse'), dataIndex: 'warehouse' },
            { title: t('orders.status'), dataIndex: 'state', render: (v: string) => <Tag color={v === 'open' ? 'gold' : 'green'}>{label('waveState', v)}</Tag> },
            { title: t('wh.createdAt'), dataIndex: 'createdAt', render: (v: string | null) => dateTime(v, me.timezone, locale) },
          ]}
        />
      </Col>
      <Col xs={24} xl={14}>{waveId ? <WaveDetail waveId={waveId} onPack={onPack} onChange={loadWaves} /> : <Empty description={t('wh.selectWave')} />}</Col>
    </Row>
  );
}

function WaveDetail({ waveId, onPack, onChange }: { waveId: string; onPack: (shipmentId: string) => void; onChange: () => void }) {
  const { t, label, locale } = useI18n();
  const me = useMe();
  const { can } = useSession();
  const { message } = App.useApp();
  const [wave, setWave] = useState<Wave | null>(null);
  const [pick, setPick] = useState<PickList | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [w, p] = await Promise.all([get<Wave>(`/api/waves/${encodeURIComponent(waveId)}`), get<PickList>(`/api/waves/${encodeURIComponent(waveId)}/pick-list`)]);
      setWave(w);
      setPick(p);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [waveId]);
  useEffect(() => {
    void load();
  }, [load]);

  if (error) return <Alert type="error" title={error} />;
  if (!wave || !pick) return <Card loading size="small" />;
  const waved = wave.shipments.some((s) => s.state === 'waved');
  const n = (v: number) => count(v, locale);

  return (
    <Space orientation="vertical" style={{ width: '100%' }} size={16}>
      <Card
        size="small"
        title={
          <Space>
            {t('wh.pickList')} <span data-testid="wave-id">{wave.id}</span>
            <Tag color={wave.state === 'open' ? 'gold' : 'green'}>{label('waveState', wave.state)}</Tag>
          </Space>
        }
        extra={
          <Space>
            <Button icon={<PrinterOutlined />} href={`/api/waves/${encodeURIComponent(wave.id)}/pick-list.html`} target="_blank" data-testid="print-pick-list">
              {t('wh.print')}
            </Button>
            <Button
              icon={<PrinterOutlined />}
              disabled={!can('fulfilment.ship')}
              onClick={() =>
                void post<{ items: { error: unknown }[] }>(`/api/waves/${encodeURIComponent(wave.id)}/waybills`)
                  .then((r) => {
                    if (r.items.some((i) => i.error)) message.warning(t('wh.waveWaybillsFailed'));
                    if (r.items.some((i) => !i.error)) window.open(`/api/waves/${encodeURIComponent(wave.id)}/labels.pdf?size=76x130`, '_blank');
                  })
                  .catch((e: unknown) => message.error(errorText(e)))
              }
              data-testid="wave-waybills"
            >
              {t('wh.waveWaybills')}
            </Button>
            <Button
              type="primary"
              disabled={!can('fulfilment.ship') || !waved}
              onClick={() =>
                void post<Wave>(`/api/waves/${encodeURIComponent(wave.id)}/picked`)
                  .then((w) => {
                    setWave(w);
                    onChange();
                  })
                  .catch((e: unknown) => message.error(errorText(e)))
              }
              data-testid="mark-picked"
            >
              {t('wh.markPicked')}
            </Button>
          </Space>
        }
      >
        <Descriptions size="small" column={{ xs: 1, md: 4 }} style={{ marginBottom: 12 }}>
          <Descriptions.Item label={t('order.warehouse')}>{pick.warehouse}</Descriptions.Item>
          <Descriptions.Item label={t('wh.parcels')}>{n(pick.shipments)}</Descriptions.Item>
          <Descriptions.Item label={t('wh.units')}>{n(pick.units)}</Descriptions.Item>
          <Descriptions.Item label={t('wh.createdAt')}>
            {dateTime(wave.createdAt, me.timezone, locale)} · {wave.createdBy}
          </Descriptions.Item>
        </Descriptions>
        <div data-testid="pick-list">
          <Table
            size="small"
            rowKey="sku"
            pagination={false}
            dataSource={pick.items}
            columns={[
              { title: t('order.sku'), dataIndex: 'sku' },
              {
                title: t('order.title'),
                dataIndex: 'title',
                // A bundle's components are picked as themselves, with the bundles they go into named beside them.
                render: (v: string, r: PickList['items'][number]) => (
                  <>
                    {v || '—'}
                    {r.bundles?.map((b) => (
                      <Tag key={b.sku} color="blue" style={{ marginLeft: 8 }} data-testid={`pick-bundle-${r.sku}`}>{`${t('wh.forBundle')} ${b.title || b.sku} × ${b.quantity}`}</Tag>
                    ))}
                  </>
                ),
              },
              { title: t('order.quantity'), dataIndex: 'quantity', align: 'right', render: n },
              {
                title: t('wh.waveShipments'),
                dataIndex: 'shipments',
                render: (v: PickList['items'][number]['shipments']) => v.map((s) => `${s.shipmentId} × ${s.quantity}`).join(', '),
              },
            ]}
          />
        </div>
      </Card>
      <Card size="small" title={t('wh.waveShipments')}>
        <Table<Shipment>
          size="small"
          rowKey="id"
          pagination={false}
          dataSource={wave.shipments}
          columns={[
            { title: t('ship.id'), dataIndex: 'id' },
            { title: t('ship.state'), dataIndex: 'state', render: (v: string) => <ShipmentStateTag state={v} /> },
            { title: t('ship.orders'), dataIndex: 'orderIds', render: (v: string[], s: Shipment) => <OrderLinks ids={v} nos={s.orderNos} /> },
            {
              title: t('wh.progress'),
              key: 'progress',
              render: (_: unknown, s) => {
                const [done, all] = s.lines.reduce(([d, a], l) => [d + l.scanned, a + l.quantity], [0, 0]);
                return `${n(done)} / ${n(all)}`;
              },
            },
            { title: t('wh.shipBy'), dataIndex: 'shipBy', render: (v: string | null) => dateTime(v, me.timezone, locale) },
            {
              title: t('common.actions'),
              key: 'actions',
              render: (_: unknown, s) => (
                <Button size="small" icon={<ScanOutlined />} disabled={closed.has(s.state)} onClick={() => onPack(s.id)} data-testid={`pack-${s.id}`}>
                  {s.state === 'packed' ? t('wh.ship') : t('wh.pack')}
                </Button>
              ),
            },
          ]}
        />
      </Card>
    </Space>
  );
}

// ---------- Pack by scanning, then ship ----------

type ScanFeedback = { ok: true; code: string } | { ok: false; code: string; error: string; errorCode: string };

/** A parcel's e-waybill (电子面单) as GET/POST /api/shipments/{id}/waybill answer it. */
interface Waybill {
  state: 'requesting' | 'issued' | 'cancel_pending' | 'cancelled';
  carrier: string;
  waybillNo: string | null;
  sortCode: string | null;
}

const waybillErrors = new Set(['WAYBILL_ACCOUNT_MISSING', 'WAYBILL_REFUSED', 'WAYBILL_UNAVAILABLE', 'TRACKING_NUMBER_PENDING', 'WAYBILL_MISMATCH', 'SHIPMENT_CANCELLED', 'ORDER_HELD', 'LABEL_FONT_MISSING']);

/** The network's own reason where it says more than "no answer" (Shopee has arranged the parcel but not numbered it yet). */
function waybillErrorCode(e: unknown): string {
  if (!(e instanceof ApiError)) return 'ERROR';
  const d = e.details as { code?: unknown } | undefined;
  return e.code === 'WAYBILL_UNAVAILABLE' && d?.code === 'TRACKING_NUMBER_PENDING' ? 'TRACKING_NUMBER_PENDING' : e.code;
}

function PackStation({ shipmentId, onOpen }: { shipmentId: string | null; onOpen: (id: string) => void }) {
  const { t, label, locale } = useI18n();
  const me = useMe();
  const { can } = useSession();
  const { message } = App.useApp();
  const [lookup, setLookup] = useState('');
  const [shipment, setShipment] = useState<Shipment | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [scan, setScan] = useState('');
  const [feedback, setFeedback] = useState<ScanFeedback | null>(null);
  const [carrier, setCarrier] = useState('');
  const [trackingNo, setTrackingNo] = useState('');
  const [shipError, setShipError] = useState<string | null>(null);
  const [shipping, setShipping] = useState(false);
  const [waybill, setWaybill] = useState<Waybill | null>(null);
  const [waybillError, setWaybillError] = useState<{ code: string; text: string } | null>(null);
  const [fetchingWaybill, setFetchingWaybill] = useState(false);
  const scanInput = useRef<InputRef>(null);
  const trackingInput = useRef<InputRef>(null);
  // A scanner types faster than the hub answers: codes are sent one after another, in the order they were scanned.
  const queue = useRef<Promise<void>>(Promise.resolve());

  useEffect(() => {
    setShipment(null);
    setFeedback(null);
    setShipError(null);
    setTrackingNo('');
    setWaybill(null);
    setWaybillError(null);
    if (!shipmentId) return;
    get<Shipment>(`/api/shipments/${encodeURIComponent(shipmentId)}`)
      .then((s) => {
        setShipment(s);
        setCarrier(s.carrier ?? '');
        setLoadError(null);
      })
      .catch((e: unknown) => setLoadError(errorText(e)));
    // The parcel's waybill, when it has one: its number is the tracking number (nobody types it).
    get<Waybill>(`/api/shipments/${encodeURIComponent(shipmentId)}/waybill`)
      .then((w) => {
        setWaybill(w);
        if (w.state === 'issued' && w.waybillNo) {
          setTrackingNo(w.waybillNo);
          setCarrier(w.carrier);
        }
      })
      .catch(() => setWaybill(null));
  }, [shipmentId]);

  useEffect(() => {
    if (!shipment) return;
    // Where the next scan goes: the item input while packing, the tracking number once packed.
    if (packable.has(shipment.state)) scanInput.current?.focus();
    else if (shipment.state === 'packed') trackingInput.current?.focus();
  }, [shipment]);

  const sendScan = (id: string, code: string) =>
    post<ScanResult>(`/api/shipments/${encodeURIComponent(id)}/scans`, { codes: [code] })
      .then((r) => {
        setShipment(r);
        setFeedback({ ok: true, code });
      })
      .catch((e: unknown) => {
        setFeedback({ ok: false, code, error: errorText(e), errorCode: e instanceof ApiError ? e.code : 'ERROR' });
        scanInput.current?.focus();
      });

  const onScan = () => {
    const code = scan.trim();
    setScan('');
    if (!code || !shipment) return;
    const id = shipment.id;
    queue.current = queue.current.then(() => sendScan(id, code));
  };

  const ship = async () => {
    if (!shipment || !trackingNo.trim()) return;
    setShipping(true);
    try {
      const s = await post<Shipment>(`/api/shipments/${encodeURIComponent(shipment.id)}/ship`, { ...(carrier.trim() ? { carrier: carrier.trim() } : {}), trackingNo: trackingNo.trim() });
      setShipment(s);
      setShipError(null);
      message.success(t('wh.shipped'));
    } catch (e) {
      setShipError(errorText(e));
    } finally {
      setShipping(false);
    }
  };

  const labelUrl = (id: string, size: string) => `/api/shipments/${encodeURIComponent(id)}/label.pdf?size=${size}`;

  /** 取号: the parcel's number from its orders' carrier network, then its label opens to print. */
  const fetchWaybill = async () => {
    if (!shipment) return;
    setFetchingWaybill(true);
    try {
      const w = await post<Waybill>(`/api/shipments/${encodeURIComponent(shipment.id)}/waybill`);
      setWaybill(w);
      setWaybillError(null);
      if (w.waybillNo) {
        setTrackingNo(w.waybillNo);
        setCarrier(w.carrier);
        window.open(labelUrl(shipment.id, '76x130'), '_blank');
      }
    } catch (e) {
      setWaybillError({ code: waybillErrorCode(e), text: errorText(e) });
    } finally {
      setFetchingWaybill(false);
    }
  };

  const lines = shipment?.lines ?? [];
  const done = lines.reduce((a, l) => a + l.scanned, 0);
  const all = lines.reduce((a, l) => a + l.quantity, 0);
  const mayShip = can('fulfilment.ship');

  return (
    <Space orientation="vertical" style={{ width: '100%' }} size={16}>
      <Input.Search
        value={lookup}
        onChange={(e) => setLookup(e.target.value)}
        onSearch={(v) => {
          if (v.trim()) onOpen(v.trim());
          setLookup('');
        }}
        placeholder={t('wh.openShipment')}
        enterButton={t('wh.pack')}
        style={{ maxWidth: 480 }}
        data-testid="shipment-input"
      />
      {loadError && <Alert type="error" title={loadError} />}
      {!shipmentId && <Empty description={t('wh.noShipment')} />}
      {shipment && (
        <Row gutter={16}>
          <Col xs={24} xl={14}>
            <Card
              size="small"
              title={
                <Space>
                  <span data-testid="pack-shipment-id">{shipment.id}</span>
                  <span data-testid="pack-state">
                    <ShipmentStateTag state={shipment.state} />
                  </span>
                </Space>
              }
            >
              <Descriptions size="small" column={{ xs: 1, md: 2 }} style={{ marginBottom: 12 }}>
                <Descriptions.Item label={t('order.warehouse')}>{shipment.warehouse}</Descriptions.Item>
                <Descriptions.Item label={t('ship.orders')}>
                  <OrderLinks ids={shipment.orderIds} nos={shipment.orderNos} />
                </Descriptions.Item>
                <Descriptions.Item label={t('wh.wave')}>{shipment.waveId ?? '—'}</Descriptions.Item>
                <Descriptions.Item label={t('wh.shipBy')}>{dateTime(shipment.shipBy, me.timezone, locale)}</Descriptions.Item>
              </Descriptions>
              <Input
                ref={scanInput}
                size="large"
                prefix={<ScanOutlined />}
                value={scan}
                onChange={(e) => setScan(e.target.value)}
                onPressEnter={onScan}
                disabled={!mayShip || !packable.has(shipment.state)}
                placeholder={t('wh.scan')}
                autoComplete="off"
                data-testid="scan-input"
              />
              {feedback &&
                (feedback.ok ? (
                  <Alert style={{ marginTop: 8 }} type="success" showIcon title={`${feedback.code} ✓ ${t('wh.scanOk')}`} data-testid="scan-ok" />
                ) : (
                  <Alert
                    style={{ marginTop: 8 }}
                    type="error"
                    showIcon
                    title={`${t('wh.scanRefused')} (${feedback.code})`}
                    description={
                      <span data-testid="scan-error" data-code={feedback.errorCode}>
                        {feedback.error}
                      </span>
                    }
                  />
                ))}
              <Progress percent={all ? Math.round((done / all) * 100) : 0} format={() => `${count(done, locale)} / ${count(all, locale)}`} style={{ marginTop: 12 }} data-testid="pack-progress" />
              <Table
                size="small"
                rowKey={(l) => `${l.orderId}#${l.lineNo}#${l.sku}`}
                pagination={false}
                dataSource={lines}
                data-testid="pack-lines"
                columns={[
                  {
                    title: t('order.sku'),
                    dataIndex: 'sku',
                    render: (v: string, l) => (
                      <Space>
                        <Typography.Text strong>{v}</Typography.Text>
                        {l.bundleSku && <Tag color="blue" data-testid={`bundle-of-${v}`}>{`${t('wh.forBundle')} ${l.bundleSku}`}</Tag>}
                      </Space>
                    ),
                  },
                  { title: t('order.quantity'), dataIndex: 'quantity', align: 'right', width: 80 },
                  { title: t('wh.scanned'), dataIndex: 'scanned', align: 'right', width: 80, render: (v: number, l) => <span data-testid={`scanned-${l.sku}`}>{v}</span> },
                  {
                    title: t('wh.progress'),
                    key: 'progress',
                    width: 200,
                    render: (_: unknown, l) => <Progress size="small" percent={Math.round((l.scanned / l.quantity) * 100)} status={l.scanned >= l.quantity ? 'success' : 'active'} showInfo={false} />,
                  },
                  // A merged parcel carries lines of several orders: then each line says whose it is.
                  ...(shipment.orderIds.length > 1 ? [{ title: t('ship.orders'), dataIndex: 'orderId', render: (v: string, l: Shipment['lines'][number]) => `${shipment.orderNos[shipment.orderIds.indexOf(v)] ?? v} #${l.lineNo}` }] : []),
                ]}
              />
            </Card>
          </Col>
          <Col xs={24} xl={10}>
            <Card size="small" title={t('wh.ship')}>
              {gone.has(shipment.state) ? (
                <Alert
                  type="success"
                  showIcon
                  title={t('wh.shipped')}
                  description={
                    <span data-testid="shipped-summary">
                      {shipment.carrier} {shipment.trackingNo} · {dateTime(shipment.shippedAt, me.timezone, locale)}
                    </span>
                  }
                />
              ) : (
                <Space orientation="vertical" style={{ width: '100%' }}>
                  {shipment.state === 'packed' && <Alert type="info" showIcon title={t('wh.packed')} />}
                  {shipment.state === 'cancelled' && (
                    <Alert type="error" showIcon title={<span data-testid="cancelled-alert">{t('wh.cancelled')}</span>} description={label('cancelReason', shipment.cancelReason ?? '')} />
                  )}
                  <Typography.Text>{t('wh.carrier')}</Typography.Text>
                  <Input
                    value={carrier}
                    onChange={(e) => setCarrier(e.target.value)}
                    placeholder={t('wh.carrier')}
                    maxLength={32}
                    disabled={!mayShip || shipment.state !== 'packed' || Boolean(waybill?.waybillNo && waybill.state === 'issued')}
                    data-testid="carrier-input"
                  />
                  {!shipment.carrier && !waybill?.waybillNo && <Typography.Text type="secondary">{t('wh.noCarrier')}</Typography.Text>}
                  {waybill?.state === 'issued' && waybill.waybillNo ? (
                    <Alert
                      type="success"
                      showIcon
                      title={
                        <span>
                          {t('wh.waybill')}: <Typography.Text strong data-testid="waybill-no">{waybill.waybillNo}</Typography.Text>
                          {waybill.sortCode ? ` · ${waybill.sortCode}` : ''}
                        </span>
                      }
                      description={
                        <Space wrap>
                          <Button size="small" icon={<PrinterOutlined />} href={labelUrl(shipment.id, '76x130')} target="_blank" data-testid="print-label">
                            {t('wh.printLabel')} 76×130
                          </Button>
                          <Button size="small" icon={<PrinterOutlined />} href={labelUrl(shipment.id, '100x180')} target="_blank" data-testid="print-label-large">
                            {t('wh.printLabel')} 100×180
                          </Button>
                        </Space>
                      }
                    />
                  ) : (
                    <Button icon={<PrinterOutlined />} loading={fetchingWaybill} disabled={!mayShip || !['waved', 'picked', 'packed'].includes(shipment.state)} onClick={() => void fetchWaybill()} data-testid="get-waybill">
                      {t('wh.getWaybill')}
                    </Button>
                  )}
                  {waybillError && (
                    <Alert
                      type="error"
                      showIcon
                      title={waybillErrors.has(waybillError.code) ? t(`wh.err.${waybillError.code}` as Parameters<typeof t>[0]) : t('wh.waybillFailed')}
                      // A refusal the pack station words itself needs no second wording of the same code.
                      description={waybillErrors.has(waybillError.code) ? undefined : <span data-testid="waybill-error">{waybillError.text}</span>}
                    />
                  )}
                  <Typography.Text>{t('wh.trackingNo')}</Typography.Text>
                  <Input
                    ref={trackingInput}
                    value={trackingNo}
                    onChange={(e) => setTrackingNo(e.target.value)}
                    onPressEnter={() => void ship()}
                    placeholder={t('wh.trackingNo')}
                    prefix={<ScanOutlined />}
                    maxLength={64}
                    autoComplete="off"
                    disabled={!mayShip || shipment.state !== 'packed' || Boolean(waybill?.waybillNo && waybill.state === 'issued')}
                    data-testid="tracking-input"
                  />
                  <Button type="primary" block loading={shipping} disabled={!mayShip || shipment.state !== 'packed' || !trackingNo.trim()} onClick={() => void ship()} data-testid="ship-button">
                    {t('wh.ship')}
                  </Button>
                  {shipError && <Alert type="error" showIcon title={shipError} data-testid="ship-error" />}
                </Space>
              )}
            </Card>
          </Col>
        </Row>
      )}
    </Space>
  );
}
