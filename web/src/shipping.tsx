// Small pieces the warehouse, shipment and order pages share: state and trust tags, order links, "tracking not connected".
import { Link } from 'react-router';
import { Space, Tag } from 'antd';
import { ApiError } from './api.ts';
import { useI18n } from './i18n.tsx';

export const shipmentStates = ['planned', 'waved', 'picked', 'packed', 'shipped', 'delivered', 'returned', 'cancelled'] as const;
/** Units may be scanned into the parcel until it is packed (the hub's rule, shown as an enabled scan input). */
export const packable = new Set(['planned', 'waved', 'picked']);
export const gone = new Set(['shipped', 'delivered', 'returned']);
/** Nothing more is done to it in the warehouse: it left, or it was cancelled before it left. */
export const closed = new Set([...gone, 'cancelled']);
export const trustGrades = ['signature_or_otp', 'photo', 'locker_or_station', 'scan_only'] as const;

const stateColor: Record<string, string> = { planned: 'default', waved: 'gold', picked: 'orange', packed: 'blue', shipped: 'cyan', delivered: 'green', returned: 'red', cancelled: 'magenta' };
export const gradeColor: Record<string, string> = { signature_or_otp: '#389e0d', photo: '#73d13d', locker_or_station: '#fa8c16', scan_only: '#cf1322' };

export function ShipmentStateTag({ state }: { state: string }) {
  const { label } = useI18n();
  return <Tag color={stateColor[state]}>{label('shipState', state)}</Tag>;
}

export function TrustGradeTag({ grade }: { grade: string | null | undefined }) {
  const { label } = useI18n();
  if (!grade) return <>—</>;
  return <Tag color={gradeColor[grade]}>{label('grade', grade)}</Tag>;
}

const trackingColor = (s: string): string =>
  s === 'delivered' ? 'green' : s === 'delivered_unconfirmed' || s === 'available_for_pickup' ? 'orange' : ['exception', 'delivery_failed', 'returning', 'returned', 'rejected', 'expired'].includes(s) ? 'red' : 'blue';

/** What the carrier's tracking says now; "—" until it has said anything. */
export function TrackingStatusTag({ status, testId }: { status: string | null | undefined; testId?: string }) {
  const { label } = useI18n();
  if (!status) return <span data-testid={testId}>—</span>;
  return (
    <Tag color={trackingColor(status)} data-testid={testId}>
      {label('track', status)}
    </Tag>
  );
}

/** Links to orders by id, each shown by its order number when known (what the warehouse reads off a parcel). */
export function OrderLinks({ ids, nos }: { ids: readonly string[]; nos?: readonly string[] | undefined }) {
  return (
    <Space size={4} wrap>
      {ids.map((id, i) => (
        <Link key={id} to={`/orders/${encodeURIComponent(id)}`}>
          {nos?.[i] ?? id}
        </Link>
      ))}
    </Space>
  );
}

/**
 * A tracking endpoint the hub does not have yet (carrier tracking not wired): the route itself is missing. A 404 with
 * another code (the shipment is gone) is a real answer and is shown as such.
 */
export function trackingMissing(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404 && (e.code === 'ROUTE_NOT_FOUND' || e.code === 'HTTP_404');
}

export const errorText = (e: unknown): string => (e instanceof ApiError ? e.message : String(e));
