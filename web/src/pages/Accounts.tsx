// Channel accounts (shops): every platform's credential form comes from the hub (GET /api/platforms); secrets are
// write-only; the webhook URL is what to paste into the platform (none for platforms the hub only pulls). A shop's
// settings (Shopify's stock location) are changed on an existing shop: the hub checks them with the platform.
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { App, Button, Card, Form, Input, Modal, Select, Switch, Table, Tag, Typography } from 'antd';
import { ApiError, get, patch, post } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import type { Account, Platform } from '../types.ts';

type FormValues = { platform: string; name: string; credentials?: Record<string, string | undefined>; settings?: Record<string, string | undefined> };

/** Settings the console's catalogue names (label and hint); any other shows the platform's own words. */
const settingKeys = new Set(['stockLocationId']);

export default function Accounts() {
  const { t } = useI18n();
  const { can } = useSession();
  const { message, modal } = App.useApp();
  const [items, setItems] = useState<Account[]>([]);
  const [platforms, setPlatforms] = useState<Platform[]>([]);
  const [editing, setEditing] = useState<Account | 'new' | null>(null);
  const [form] = Form.useForm<FormValues>();
  const platform = Form.useWatch('platform', form) ?? 'ownshop';
  const load = useCallback(() => void get<{ items: Account[] }>('/api/channel-accounts').then((r) => setItems(r.items)).catch(() => undefined), []);
  useEffect(load, [load]);
  useEffect(() => void get<{ items: Platform[] }>('/api/platforms').then((r) => setPlatforms(r.items)).catch(() => undefined), []);
  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : String(e));

  // Switching off stops a shop's orders (a user's sign-in) at once: the person confirms, reading what will happen.
  const confirmActive = (a: { id: string; name: string }, on: boolean) =>
    modal.confirm({
      title: t(on ? 'accounts.confirmOn' : 'accounts.confirmOff').replace('{name}', a.name),
      content: t(on ? 'accounts.confirmOnText' : 'accounts.confirmOffText'),
      okText: t(on ? 'common.confirmOn' : 'common.confirmOff'),
      okButtonProps: { danger: !on },
      onOk: () => patch(`/api/channel-accounts/${a.id}`, { active: on }).then(load).catch(fail),
    });
  const manage = can('accounts.manage');
  const label = (p: string) => platforms.find((x) => x.platform === p)?.label ?? p;
  const fields = platforms.find((p) => p.platform === platform)?.credentialFields ?? [];
  const settingFields = platforms.find((p) => p.platform === platform)?.settingFields ?? [];
  const settingLabel = (f: { name: string; label: string }) => (settingKeys.has(f.name) ? t(`accounts.setting.${f.name}` as 'accounts.setting.stockLocationId') : f.label);
  const settingHint = (f: { name: string; hint?: string }) => (settingKeys.has(f.name) ? t(`accounts.setting.${f.name}.hint` as 'accounts.setting.stockLocationId.hint') : f.hint);
  const failSettings = (e: unknown) =>
    e instanceof ApiError && e.code === 'VALIDATION_FAILED'
      ? message.error(t('accounts.settingInvalid'))
      : e instanceof ApiError && e.code === 'PLATFORM_UNAVAILABLE'
        ? message.error(t('accounts.settingUnavailable'))
        : fail(e);

  const save = (v: FormValues) => {
    // Blank fields are left out: on an edit they keep what is stored (secrets are never shown, so never sent back).
    const entered = Object.fromEntries(Object.entries(v.credentials ?? {}).filter(([, x]) => typeof x === 'string' && x.trim() !== ''));
    const changed = Object.keys(entered).length > 0;
    // Settings are shown with what is stored: a cleared one is removed (null), an unchanged one not sent.
    const stored = editing !== 'new' && editing ? editing.settings : {};
    const settings = Object.fromEntries(
      Object.entries(v.settings ?? {})
        .map(([k, x]) => [k, typeof x === 'string' && x.trim() !== '' ? x.trim() : null] as const)
        .filter(([k, x]) => x !== (typeof stored[k] === 'string' ? stored[k] : null)),
    );
    const req =
      editing === 'new'
        ? post('/api/channel-accounts', { platform: v.platform, name: v.name, credentials: entered })
        : patch(`/api/channel-accounts/${(editing as Account).id}`, { name: v.name, ...(changed ? { credentials: entered } : {}), ...(Object.keys(settings).length ? { settings } : {}) });
    void req.then(() => (setEditing(null), load())).catch(Object.keys(settings).length ? failSettings : fail);
  };

  return (
    <Card title={t('nav.accounts')} extra={<Button type="primary" disabled={!manage} onClick={() => (form.resetFields(), setEditing('new'))}>{t('accounts.add')}</Button>}>
      <Table<Account>
        rowKey="id"
        dataSource={items}
        pagination={false}
        columns={[
          { title: t('accounts.name'), dataIndex: 'name', render: (v: string, a) => <Link to={`/accounts/${a.id}`}>{v}</Link> },
          { title: t('accounts.platform'), dataIndex: 'platform', render: (v: string) => <Tag>{label(v)}</Tag> },
          {
            title: t('accounts.webhook'),
            dataIndex: 'webhookUrl',
            render: (v: string | null) => (v ? <Typography.Text copyable code>{v}</Typography.Text> : <Typography.Text type="secondary">{t('accounts.pullOnly')}</Typography.Text>),
          },
          { title: t('accounts.credentials'), dataIndex: 'credentialKeys', render: (v: string[]) => v.map((k) => `${k}: ••••••`).join(', ') },
          {
            title: t('accounts.settings'),
            render: (_: unknown, a) => {
              const own = platforms.find((p) => p.platform === a.platform)?.settingFields ?? [];
              if (own.length === 0) return <Typography.Text type="secondary">—</Typography.Text>;
              // The stock location: the chosen one, or the default the hub read from the shop (with its name).
              return own.map((f) => {
                const v = a.settings[f.name];
                const shown = typeof v === 'string' ? v : f.name === 'stockLocationId' && a.learned.primaryLocationId ? `${t('accounts.setting.stockLocationId.default')} ${a.learned.primaryLocationName ?? a.learned.primaryLocationId}` : t('accounts.setting.stockLocationId.default');
                return (
                  <div key={f.name}>
                    {settingLabel(f)}: {shown}
                  </div>
                );
              });
            },
          },
          { title: t('accounts.active'), dataIndex: 'active', render: (v: boolean, a) => <Switch checked={v} disabled={!manage} data-testid="active-switch" onChange={(on) => confirmActive(a, on)} /> },
          {
            title: t('common.actions'),
            render: (_: unknown, a) => (
              <>
                <Link to={`/accounts/${a.id}`}>{t('accounts.integration')}</Link>{' '}
                <Button
                  size="small"
                  disabled={!manage}
                  onClick={() => (
                    form.resetFields(),
                    form.setFieldsValue({ platform: a.platform, name: a.name, settings: Object.fromEntries(Object.entries(a.settings).map(([k, v]) => [k, typeof v === 'string' ? v : undefined])) }),
                    setEditing(a)
                  )}
                >
                  ✎
                </Button>
              </>
            ),
          },
        ]}
      />
      <Modal open={editing !== null} title={editing === 'new' ? t('accounts.add') : (editing as Account | null)?.name} onCancel={() => setEditing(null)} onOk={() => form.submit()} destroyOnHidden>
        <Form form={form} layout="vertical" onFinish={save} initialValues={{ platform: 'ownshop' }}>
          <Form.Item name="platform" label={t('accounts.platform')}>
            <Select disabled={editing !== 'new'} options={platforms.map((p) => ({ value: p.platform, label: p.label }))} />
          </Form.Item>
          <Form.Item name="name" label={t('accounts.name')} rules={[{ required: true, whitespace: true }]}>
            <Input maxLength={128} />
          </Form.Item>
          {fields.map((f) => (
            <Form.Item
              key={`${platform}.${f.name}`}
              name={['credentials', f.name]}
              label={`${f.label}${f.secret ? ` (${t('accounts.writeOnly')})` : ''}`}
              extra={f.hint}
              rules={editing === 'new' && !f.optional ? [{ required: true, whitespace: true }] : []}
            >
              {f.secret ? <Input.Password autoComplete="new-password" placeholder={editing === 'new' ? '' : t('accounts.keep')} /> : <Input placeholder={editing === 'new' ? '' : t('accounts.keep')} />}
            </Form.Item>
          ))}
          {editing !== 'new' &&
            settingFields.map((f) => (
              <Form.Item key={`${platform}.settings.${f.name}`} name={['settings', f.name]} label={settingLabel(f)} extra={settingHint(f)}>
                <Input maxLength={64} allowClear />
              </Form.Item>
            ))}
        </Form>
      </Modal>
    </Card>
  );
}
