// The sign-in page: the organisation filled in with the hub's default (the demo's while it runs, or the only one),
// the demo's users named with their roles, refusals in the console's words.
import { useEffect, useState } from 'react';
import { Alert, Button, Card, Form, Input, Space, Tag, Typography } from 'antd';
import { ApiError, get } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';

interface SignInOptions {
  defaultTenant: string | null;
  demo: { tenant: string; password: string; users: { username: string; role: string }[] } | null;
}

export function SignIn() {
  const { t, label, lang, setLang } = useI18n();
  const { signIn } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [demo, setDemo] = useState<SignInOptions['demo']>(null);
  const [form] = Form.useForm<{ username: string; password: string; tenant: string }>();

  useEffect(() => {
    get<SignInOptions>('/api/auth/options')
      .then((o) => {
        setDemo(o.demo);
        // Only while nobody has typed an organisation of their own.
        if (o.defaultTenant && !form.isFieldTouched('tenant')) form.setFieldValue('tenant', o.defaultTenant);
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

  const fillDemo = (username: string) => {
    if (!demo) return;
    form.setFieldsValue({ username, password: demo.password, tenant: demo.tenant });
  };

  return (
    <div style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f0f2f5' }}>
      <Card style={{ width: 420 }} title={t('signIn.title')} extra={<Button size="small" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}>{t('lang.switch')}</Button>}>
        <Form form={form} layout="vertical" onFinish={(v) => void submit(v)}>
          <Form.Item name="username" label={t('signIn.username')} rules={[{ required: true }]}>
            <Input autoComplete="username" data-testid="username" />
          </Form.Item>
          <Form.Item name="password" label={t('signIn.password')} rules={[{ required: true }]}>
            <Input.Password autoComplete="current-password" data-testid="password" />
          </Form.Item>
          <Form.Item name="tenant" label={t('signIn.tenant')}>
            <Input data-testid="tenant" placeholder={t('signIn.tenantHint')} />
          </Form.Item>
          {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} data-testid="sign-in-error" />}
          <Space direction="vertical" style={{ width: '100%' }}>
            <Button type="primary" htmlType="submit" block loading={busy} data-testid="sign-in">
              {t('signIn.submit')}
            </Button>
            {demo && (
              <div data-testid="demo-hint">
                <Typography.Text type="secondary">{t('signIn.demo').replace('{tenant}', demo.tenant).replace('{password}', demo.password)}</Typography.Text>
                <div style={{ marginTop: 8, display: 'flex', flexWrap: 'wrap', gap: 6 }}>
                  {demo.users.map((u) => (
                    <Tag key={u.username} color="blue" style={{ cursor: 'pointer', marginInlineEnd: 0 }} onClick={() => fillDemo(u.username)} data-testid={`demo-user-${u.username}`}>
                      {u.username} · {label('role', u.role)}
                    </Tag>
                  ))}
                </div>
              </div>
            )}
          </Space>
        </Form>
      </Card>
    </div>
  );
}
