// The frame around every page: the menu (only what the principal may use), language switch, sign-out.
import { useEffect, useState, type ReactNode } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { Alert, Badge, Button, Layout, Menu, Space, Tooltip, Typography } from 'antd';
import {
  AlertOutlined,
  ApiOutlined,
  AuditOutlined,
  BellOutlined,
  CarOutlined,
  DashboardOutlined,
  DatabaseOutlined,
  InboxOutlined,
  SafetyCertificateOutlined,
  ShopOutlined,
  TeamOutlined,
  UnorderedListOutlined,
  LinkOutlined,
  PieChartOutlined,
} from '@ant-design/icons';
import { useI18n, type Key } from './i18n.tsx';
import { useSession } from './session.tsx';
import { get } from './api.ts';

const items: { path: string; label: Key; icon: ReactNode; permission: string | null }[] = [
  { path: '/dashboard', label: 'nav.dashboard', icon: <DashboardOutlined />, permission: 'orders.read' },
  { path: '/orders', label: 'nav.orders', icon: <UnorderedListOutlined />, permission: 'orders.read' },
  { path: '/stock', label: 'nav.stock', icon: <DatabaseOutlined />, permission: 'stock.read' },
  { path: '/allocation', label: 'nav.allocation', icon: <PieChartOutlined />, permission: 'stock.read' },
  { path: '/warehouse', label: 'nav.warehouse', icon: <InboxOutlined />, permission: 'orders.read' },
  { path: '/shipments', label: 'nav.shipments', icon: <CarOutlined />, permission: 'orders.read' },
  { path: '/trust-board', label: 'nav.trustBoard', icon: <SafetyCertificateOutlined />, permission: 'orders.read' },
  { path: '/wms', label: 'nav.wms', icon: <ApiOutlined />, permission: 'stock.read' },
  { path: '/matching', label: 'nav.matching', icon: <LinkOutlined />, permission: 'stock.read' },
  { path: '/accounts', label: 'nav.accounts', icon: <ShopOutlined />, permission: 'accounts.read' },
  { path: '/outbound', label: 'nav.outbound', icon: <AlertOutlined />, permission: 'orders.read' },
  { path: '/payments', label: 'nav.payments', icon: <AlertOutlined />, permission: 'payments.read' },
  { path: '/approvals', label: 'nav.approvals', icon: <AuditOutlined />, permission: null },
  { path: '/users', label: 'nav.users', icon: <TeamOutlined />, permission: 'users.manage' },
];

export function Shell({ children }: { children: ReactNode }) {
  const { t, lang, setLang } = useI18n();
  const { me, can, signOut } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const visible = items.filter((i) => i.permission === null || can(i.permission));
  const selected = visible.filter((i) => location.pathname.startsWith(i.path)).map((i) => i.path);
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="lg" collapsedWidth={0} theme="light" width={200}>
        <div style={{ padding: '16px 20px', fontWeight: 600, fontSize: 16 }}>{t('app.title')}</div>
        <Menu
          mode="inline"
          selectedKeys={selected}
          items={visible.map((i) => ({ key: i.path, icon: i.icon, label: t(i.label) }))}
          onClick={(e) => navigate(e.key)}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ background: '#fff', padding: '0 24px', display: 'flex', justifyContent: 'flex-end', alignItems: 'center' }}>
          <Space>
            {can('approvals.decide') && <ApprovalBell />}
            <Typography.Text type="secondary" data-testid="whoami">
              {me?.user?.displayName ?? me?.name} · {me?.tenant}
            </Typography.Text>
            <Button size="small" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang-switch">
              {t('lang.switch')}
            </Button>
            {/* The next person starts on their own page, not on the one this person left. */}
            <Button size="small" onClick={() => void signOut().then(() => navigate('/', { replace: true }))}>
              {t('signOut')}
            </Button>
          </Space>
        </Layout.Header>
        {me?.tenant === 'demo' && <Alert type="info" banner message={t('demo.banner')} />}
        <Layout.Content style={{ margin: 16 }}>{children}</Layout.Content>
      </Layout>
    </Layout>
  );
}

/**
 * The notification bell: how many requests the signed-in person may decide, polled (and again on every page change,
 * so deciding one on the approvals page lowers it at once); a click opens the approvals page.
 */
function ApprovalBell() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const [n, setN] = useState<{ count: number; more: boolean } | null>(null);
  useEffect(() => {
    let live = true;
    const read = () => void get<{ count: number; more: boolean }>('/api/approvals/inbox').then((r) => live && setN(r)).catch(() => undefined);
    read();
    const timer = setInterval(read, 20_000);
    window.addEventListener('orderhub:approvals-changed', read);
    return () => {
      live = false;
      clearInterval(timer);
      window.removeEventListener('orderhub:approvals-changed', read);
    };
  }, [location.pathname]);
  const count = n?.count ?? 0;
  return (
    <Tooltip title={count ? `${t('bell.title')}：${count}${n?.more ? '+' : ''}` : t('bell.none')}>
      <Button type="text" aria-label={t('bell.title')} data-testid="approval-bell" onClick={() => navigate('/approvals')}>
        <Badge count={count} overflowCount={99} size="small" data-testid="approval-bell-count">
          <BellOutlined style={{ fontSize: 18 }} />
        </Badge>
      </Button>
    </Tooltip>
  );
}
