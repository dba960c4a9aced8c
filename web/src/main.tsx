// The console: sign-in, then a shell whose menu and pages follow the principal's permissions.
import { StrictMode, Suspense, lazy } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { App as AntApp, ConfigProvider, Spin } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import { I18nProvider, useI18n } from './i18n.tsx';
import { SessionProvider, useSession } from './session.tsx';
import { Shell } from './shell.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { landingPath } from './landing.ts';

const Dashboard = lazy(() => import('./pages/Dashboard.tsx'));
const Orders = lazy(() => import('./pages/Orders.tsx'));
const OrderView = lazy(() => import('./pages/OrderView.tsx'));
const Stock = lazy(() => import('./pages/Stock.tsx'));
const Accounts = lazy(() => import('./pages/Accounts.tsx'));
const Integration = lazy(() => import('./pages/Integration.tsx'));
const OutboundExceptions = lazy(() => import('./pages/Outbound.tsx'));
const Approvals = lazy(() => import('./pages/Approvals.tsx'));
const PaymentExceptions = lazy(() => import('./pages/PaymentExceptions.tsx'));
const Users = lazy(() => import('./pages/Users.tsx'));
const Warehouse = lazy(() => import('./pages/Warehouse.tsx'));
const Shipments = lazy(() => import('./pages/Shipments.tsx'));
const TrustBoard = lazy(() => import('./pages/TrustBoard.tsx'));
const Wms = lazy(() => import('./pages/Wms.tsx'));
const Matching = lazy(() => import('./pages/Matching.tsx'));
const Allocation = lazy(() => import('./pages/Allocation.tsx'));

function Routed() {
  const { me, loading, can } = useSession();
  if (loading) return <Spin fullscreen />;
  if (!me) return <SignIn />;
  return (
    <Shell>
      <Suspense fallback={<Spin style={{ margin: 48 }} />}>
        <Routes>
          {/* Each role's day starts on its own page: "/" (and so the first page after signing in) opens it. */}
          <Route path="/" element={<Navigate to={landingPath(me)} replace />} />
          {can('orders.read') && <Route path="/dashboard" element={<Dashboard />} />}
          {can('orders.read') && <Route path="/orders" element={<Orders />} />}
          {can('orders.read') && <Route path="/orders/:ref" element={<OrderView />} />}
          {can('stock.read') && <Route path="/stock" element={<Stock />} />}
          {can('stock.read') && <Route path="/allocation" element={<Allocation />} />}
          {can('orders.read') && <Route path="/warehouse" element={<Warehouse />} />}
          {can('orders.read') && <Route path="/shipments" element={<Shipments />} />}
          {can('orders.read') && <Route path="/trust-board" element={<TrustBoard />} />}
          {can('stock.read') && <Route path="/wms" element={<Wms />} />}
          {can('accounts.read') && <Route path="/accounts" element={<Accounts />} />}
          {can('accounts.read') && <Route path="/accounts/:id" element={<Integration />} />}
          {can('orders.read') && <Route path="/outbound" element={<OutboundExceptions />} />}
          <Route path="/approvals" element={<Approvals />} />
          <Route path="/payments" element={<PaymentExceptions />} />
          {can('users.manage') && <Route path="/users" element={<Users />} />}
          {can('stock.read') && <Route path="/matching" element={<Matching />} />}
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
      </Suspense>
    </Shell>
  );
}

function Localised() {
  const { lang } = useI18n();
  return (
    <ConfigProvider locale={lang === 'zh' ? zhCN : enUS} theme={{ token: { colorPrimary: '#1f5fbf', borderRadius: 4 } }}>
      <AntApp>
        <BrowserRouter>
          <SessionProvider>
            <Routed />
          </SessionProvider>
        </BrowserRouter>
      </AntApp>
    </ConfigProvider>
  );
}

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <I18nProvider>
      <Localised />
    </I18nProvider>
  </StrictMode>,
);
