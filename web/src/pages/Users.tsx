// Users and roles: who may sign in, with which roles and data scope; the roles and their permissions.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Form, Input, Modal, Select, Switch, Table, Tabs, Tag } from 'antd';
import { ApiError, get, patch, post } from '../api.ts';
import { dateTime } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useMe } from '../session.tsx';
import type { Role, User } from '../types.ts';

const scopeText = (s: User['scope']) =>
  [s.accounts && `shops: ${s.accounts.join(', ')}`, s.warehouses && `warehouses: ${s.warehouses.join(', ')}`, s.provinces && `provinces: ${s.provinces.join(', ')}`].filter(Boolean).join(' · ') || '∗';

export default function Users() {
  const { t, locale } = useI18n();
  const me = useMe();
  const { message } = App.useApp();
  const [users, setUsers] = useState<User[]>([]);
  const [roles, setRoles] = useState<Role[]>([]);
  const [adding, setAdding] = useState(false);
  const [form] = Form.useForm<{ username: string; password: string; roles: string[]; provinces?: string }>();
  const load = useCallback(() => {
    void get<{ items: User[] }>('/api/users').then((r) => setUsers(r.items)).catch(() => undefined);
    void get<{ items: Role[] }>('/api/roles').then((r) => setRoles(r.items)).catch(() => undefined);
  }, []);
  useEffect(load, [load]);
  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : String(e));

  return (
    <Card>
      <Tabs
        items={[
          {
            key: 'users',
            label: t('users.users'),
            children: (
              <>
                <Button type="primary" style={{ marginBottom: 12 }} onClick={() => (form.resetFields(), setAdding(true))}>
                  {t('users.add')}
                </Button>
                <Table<User>
                  rowKey="id"
                  dataSource={users}
                  pagination={false}
                  columns={[
                    { title: t('users.username'), dataIndex: 'username' },
                    { title: t('users.roles.col'), dataIndex: 'roles', render: (v: string[]) => v.map((r) => <Tag key={r}>{r}</Tag>) },
                    { title: t('users.scope'), dataIndex: 'scope', render: scopeText },
                    { title: t('users.active'), dataIndex: 'active', render: (v: boolean, u) => <Switch checked={v} disabled={u.id === me.user?.id} onChange={(on) => void patch(`/api/users/${u.id}`, { active: on }).then(load).catch(fail)} /> },
                    { title: t('users.lastSignIn'), dataIndex: 'lastSignInAt', render: (v: string | null) => dateTime(v, me.timezone, locale) },
                  ]}
                />
              </>
            ),
          },
          {
            key: 'roles',
            label: t('users.roles'),
            children: (
              <Table<Role>
                rowKey="name"
                dataSource={roles}
                pagination={false}
                columns={[
                  { title: t('users.roles.col'), dataIndex: 'name', render: (v: string, r) => <>{v} {r.builtin && <Tag>built-in</Tag>}</> },
                  { title: '', dataIndex: 'description' },
                  { title: t('users.permissions'), dataIndex: 'permissions', render: (v: string[]) => v.map((p) => <Tag key={p} style={{ marginBottom: 4 }}>{p}</Tag>) },
                ]}
              />
            ),
          },
        ]}
      />
      <Modal open={adding} title={t('users.add')} onCancel={() => setAdding(false)} onOk={() => form.submit()} destroyOnHidden>
        <Form
          form={form}
          layout="vertical"
          onFinish={(v) => {
            const provinces = v.provinces?.split(/[,，\s]+/).filter(Boolean);
            void post('/api/users', { username: v.username, password: v.password, roles: v.roles, ...(provinces?.length ? { scope: { provinces } } : {}) })
              .then(() => (setAdding(false), load()))
              .catch(fail);
          }}
        >
          <Form.Item name="username" label={t('users.username')} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
          <Form.Item name="password" label={t('signIn.password')} rules={[{ required: true, min: 10 }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Form.Item name="roles" label={t('users.roles.col')} rules={[{ required: true }]}>
            <Select mode="multiple" options={roles.map((r) => ({ value: r.name, label: r.name }))} />
          </Form.Item>
          <Form.Item name="provinces" label={`${t('users.scope')} (provinces)`}>
            <Input placeholder="浙江省, 江苏省" />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
