// Users and roles: who may sign in, with which roles and data scope; the roles and their permissions.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Checkbox, Form, Input, Modal, Select, Switch, Table, Tabs, Tag } from 'antd';
import { ApiError, get, patch, post, put } from '../api.ts';
import { dateTime } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useMe } from '../session.tsx';
import type { Role, User } from '../types.ts';

const scopeText = (s: User['scope']) =>
  [s.accounts && `shops: ${s.accounts.join(', ')}`, s.warehouses && `warehouses: ${s.warehouses.join(', ')}`, s.provinces && `provinces: ${s.provinces.join(', ')}`].filter(Boolean).join(' · ') || '∗';

export default function Users() {
  const { t, locale } = useI18n();
  const me = useMe();
  const { message, modal } = App.useApp();
  const [users, setUsers] = useState<User[]>([]);
  const [roles, setRoles] = useState<Role[]>([]);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const [roleEditing, setRoleEditing] = useState<Role | 'new' | null>(null);
  const [permissions, setPermissions] = useState<{ name: string; description: string }[]>([]);
  const [form] = Form.useForm<{ username: string; password: string; roles: string[]; provinces?: string }>();
  const [editForm] = Form.useForm<{ roles: string[]; provinces?: string; warehouses?: string; password?: string }>();
  const [roleForm] = Form.useForm<{ name: string; description: string; permissions: string[] }>();
  const load = useCallback(() => {
    void get<{ items: User[] }>('/api/users').then((r) => setUsers(r.items)).catch(() => undefined);
    void get<{ items: Role[] }>('/api/roles').then((r) => setRoles(r.items)).catch(() => undefined);
    void get<{ items: { name: string; description: string }[] }>('/api/permissions').then((r) => setPermissions(r.items)).catch(() => undefined);
  }, []);
  const list = (v?: string) => {
    const xs = v?.split(/[,，\s]+/).filter(Boolean) ?? [];
    return xs.length ? xs : null;
  };
  useEffect(load, [load]);
  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : String(e));

  // Switching off stops a shop's orders (a user's sign-in) at once: the person confirms, reading what will happen.
  const confirmActive = (u: { id: string; username: string }, on: boolean) =>
    modal.confirm({
      title: t(on ? 'users.confirmOn' : 'users.confirmOff').replace('{name}', u.username),
      content: t(on ? 'users.confirmOnText' : 'users.confirmOffText'),
      okText: t(on ? 'common.confirmOn' : 'common.confirmOff'),
      okButtonProps: { danger: !on },
      onOk: () => patch(`/api/users/${u.id}`, { active: on }).then(load).catch(fail),
    });

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
                    { title: t('users.active'), dataIndex: 'active', render: (v: boolean, u) => <Switch checked={v} disabled={u.id === me.user?.id} data-testid="active-switch" onChange={(on) => confirmActive(u, on)} /> },
                    { title: t('users.lastSignIn'), dataIndex: 'lastSignInAt', render: (v: string | null) => dateTime(v, me.timezone, locale) },
                    {
                      title: t('common.actions'),
                      render: (_: unknown, u) => (
                        <Button
                          size="small"
                          onClick={() => {
                            editForm.setFieldsValue({ roles: u.roles, provinces: u.scope.provinces?.join(', ') ?? '', warehouses: u.scope.warehouses?.join(', ') ?? '', password: '' });
                            setEditing(u);
                          }}
                        >
                          ✎
                        </Button>
                      ),
                    },
                  ]}
                />
              </>
            ),
          },
          {
            key: 'roles',
            label: t('users.roles'),
            children: (
              <>
                <Button type="primary" style={{ marginBottom: 12 }} onClick={() => (roleForm.resetFields(), setRoleEditing('new'))}>
                  +
                </Button>
                <Table<Role>
                  rowKey="name"
                  dataSource={roles}
                  pagination={false}
                  columns={[
                    { title: t('users.roles.col'), dataIndex: 'name', render: (v: string, r) => <>{v} {r.builtin && <Tag>built-in</Tag>}</> },
                    { title: '', dataIndex: 'description' },
                    { title: t('users.permissions'), dataIndex: 'permissions', render: (v: string[]) => v.map((p) => <Tag key={p} style={{ marginBottom: 4 }}>{p}</Tag>) },
                    {
                      title: t('common.actions'),
                      render: (_: unknown, r) =>
                        r.builtin ? null : (
                          <Button size="small" onClick={() => (roleForm.setFieldsValue({ name: r.name, description: r.description, permissions: r.permissions }), setRoleEditing(r))}>
                            ✎
                          </Button>
                        ),
                    },
                  ]}
                />
              </>
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
      <Modal open={editing !== null} title={editing?.username} onCancel={() => setEditing(null)} onOk={() => editForm.submit()} destroyOnHidden>
        <Form
          form={editForm}
          layout="vertical"
          onFinish={(v) => {
            if (!editing) return;
            const scope = { provinces: list(v.provinces), warehouses: list(v.warehouses), accounts: editing.scope.accounts };
            void patch(`/api/users/${editing.id}`, { roles: v.roles, scope, ...(v.password ? { password: v.password } : {}) })
              .then(() => (setEditing(null), load()))
              .catch(fail);
          }}
        >
          <Form.Item name="roles" label={t('users.roles.col')} rules={[{ required: true }]}>
            <Select mode="multiple" options={roles.map((r) => ({ value: r.name, label: r.name }))} />
          </Form.Item>
          <Form.Item name="provinces" label={`${t('users.scope')} (provinces)`}>
            <Input placeholder="浙江省, 江苏省" />
          </Form.Item>
          <Form.Item name="warehouses" label={`${t('users.scope')} (warehouses)`}>
            <Input placeholder="WH-HZ" />
          </Form.Item>
          <Form.Item name="password" label={t('signIn.password')} rules={[{ min: 10 }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
        </Form>
      </Modal>
      <Modal open={roleEditing !== null} title={roleEditing === 'new' ? t('users.roles') : (roleEditing as Role | null)?.name} onCancel={() => setRoleEditing(null)} onOk={() => roleForm.submit()} destroyOnHidden width={640}>
        <Form
          form={roleForm}
          layout="vertical"
          onFinish={(v) =>
            void put(`/api/roles/${encodeURIComponent(v.name)}`, { description: v.description ?? '', permissions: v.permissions ?? [] })
              .then(() => (setRoleEditing(null), load()))
              .catch(fail)
          }
        >
          <Form.Item name="name" label={t('users.roles.col')} rules={[{ required: true, pattern: /^[a-z][a-z0-9_]{1,39}$/ }]}>
            <Input disabled={roleEditing !== 'new'} />
          </Form.Item>
          <Form.Item name="description" label="">
            <Input maxLength={200} />
          </Form.Item>
          <Form.Item name="permissions" label={t('users.permissions')}>
            <Checkbox.Group options={permissions.map((p) => ({ value: p.name, label: `${p.name} — ${p.description}` }))} style={{ display: 'grid', gap: 4 }} />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
