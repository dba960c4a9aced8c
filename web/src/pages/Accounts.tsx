// Channel accounts (shops): credentials are write-only; the webhook URL is what to paste into the platform.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Form, Input, Modal, Select, Switch, Table, Typography } from 'antd';
import { ApiError, get, patch, post } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import type { Account } from '../types.ts';

export default function Accounts() {
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const [items, setItems] = useState<Account[]>([]);
  const [editing, setEditing] = useState<Account | 'new' | null>(null);
  const [form] = Form.useForm<{ platform: string; name: string; secret?: string; shopDomain?: string }>();
  const platform = Form.useWatch('platform', form) ?? 'ownshop';
  const load = useCallback(() => void get<{ items: Account[] }>('/api/channel-accounts').then((r) => setItems(r.items)).catch(() => undefined), []);
  useEffect(load, [load]);
  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : String(e));
  const manage = can('accounts.manage');

  const save = (v: { platform: string; name: string; secret?: string; shopDomain?: string }) => {
    const credentials = !v.secret ? undefined : v.platform === 'shopify' ? { shopDomain: v.shopDomain, apiSecret: v.secret } : { secret: v.secret };
    const req = editing === 'new' ? post('/api/channel-accounts', { platform: v.platform, name: v.name, credentials: credentials ?? {} }) : patch(`/api/channel-accounts/${(editing as Account).id}`, { name: v.name, ...(credentials ? { credentials } : {}) });
    void req.then(() => (setEditing(null), load())).catch(fail);
  };

  return (
    <Card title={t('nav.accounts')} extra={<Button type="primary" disabled={!manage} onClick={() => (form.resetFields(), setEditing('new'))}>{t('accounts.add')}</Button>}>
      <Table<Account>
        rowKey="id"
        dataSource={items}
        pagination={false}
        columns={[
          { title: t('accounts.name'), dataIndex: 'name' },
          { title: t('accounts.platform'), dataIndex: 'platform' },
          { title: t('accounts.webhook'), dataIndex: 'webhookUrl', render: (v: string) => <Typography.Text copyable code>{v}</Typography.Text> },
          { title: t('accounts.credentials'), dataIndex: 'credentialKeys', render: (v: string[]) => v.map((k) => `${k}: ••••••`).join(', ') },
          { title: t('accounts.active'), dataIndex: 'active', render: (v: boolean, a) => <Switch checked={v} disabled={!manage} onChange={(on) => void patch(`/api/channel-accounts/${a.id}`, { active: on }).then(load).catch(fail)} /> },
          { title: t('common.actions'), render: (_: unknown, a) => <Button size="small" disabled={!manage} onClick={() => (form.setFieldsValue({ platform: a.platform, name: a.name, secret: '' }), setEditing(a))}>✎</Button> },
        ]}
      />
      <Modal open={editing !== null} title={editing === 'new' ? t('accounts.add') : (editing as Account | null)?.name} onCancel={() => setEditing(null)} onOk={() => form.submit()} destroyOnHidden>
        <Form form={form} layout="vertical" onFinish={save} initialValues={{ platform: 'ownshop' }}>
          <Form.Item name="platform" label={t('accounts.platform')}>
            <Select disabled={editing !== 'new'} options={[{ value: 'ownshop', label: 'ownshop' }, { value: 'shopify', label: 'Shopify' }]} />
          </Form.Item>
          {platform === 'shopify' && (
            <Form.Item name="shopDomain" label="Shop domain" rules={[{ required: true, pattern: /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/ }]}>
              <Input placeholder="my-shop.myshopify.com" />
            </Form.Item>
          )}
          <Form.Item name="name" label={t('accounts.name')} rules={[{ required: true, whitespace: true }]}>
            <Input maxLength={128} />
          </Form.Item>
          <Form.Item name="secret" label={t('accounts.credentials')} rules={editing === 'new' ? [{ required: true, min: 16 }] : [{ min: 16 }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
