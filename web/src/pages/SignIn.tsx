import { useEffect, useState } from 'react';
import { Alert, Button, Card, Form, Input, Space, Typography } from 'antd';
import { ApiError, get } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';

export function SignIn() {
  const { t, lang, setLang } = useI18n();
  const { signIn } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [demo, setDemo] = useState<string | null>(null);
  const [form] = Form.useForm<{ username: string; password: string; tenant: string }>();

  useEffect(() => {
    get<{ demoTenant: string | null }>('/api/auth/options')
      .then((o) => {
        setDemo(o.demoTenant);
        if (o.demoTenant && !form.getFieldValue('tenant')) form.setFieldValue('tenant', o.demoTenant);
      })
      .catch(() => undefined);
  }, [form]);

  const submit = async (v: { username: string; password: string; tenant: string }) => {
    setBusy(true);
    setError(null);
    try {
      await signIn({ username: v.username.trim(), password: v.password, ...(v.tenant?.trim() ? { tenant: v.tenant.trim() } : {}) });
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f0f2f5' }}>
      <Card style={{ width: 380 }} title={t('signIn.title')} extra={<Button size="small" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}>{t('lang.switch')}</Button>}>
        <Form form={form} layout="vertical" onFinish={(v) => void submit(v)} initialValues={{ tenant: 'default' }}>
          <Form.Item name="username" label={t('signIn.username')} rules={[{ required: true }]}>
            <Input autoComplete="username" data-testid="username" />
          </Form.Item>
          <Form.Item name="password" label={t('signIn.password')} rules={[{ required: true }]}>
            <Input.Password autoComplete="current-password" data-testid="password" />
          </Form.Item>
          <Form.Item name="tenant" label={t('signIn.tenant')}>
            <Input data-testid="tenant" />
          </Form.Item>
          {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} data-testid="sign-in-error" />}
          <Space direction="vertical" style={{ width: '100%' }}>
            <Button type="primary" htmlType="submit" block loading={busy} data-testid="sign-in">
              {t('signIn.submit')}
            </Button>
            {demo && <Typography.Text type="secondary">{t('signIn.demo')}</Typography.Text>}
          </Space>
        </Form>
      </Card>
    </div>
  );
}
