// External WMS accounts (外部 WMS, issue 7): a warehouse run by its own system reports picked, packed and shipped by
// signed push. Here: the push URL to give the vendor, the status dictionary (their code → our step), on/off, a new
// secret shown once, and delete only while the account never reported (the hub refuses then: switch it off instead).
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { DeleteOutlined, EditOutlined, KeyOutlined, MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { ApiError, del, get, patch, post } from '../api.ts';
import { useI18n, type Lang } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import { errorText } from '../shipping.tsx';
import type { Warehouse } from '../types.ts';

const steps = ['picked', 'packed', 'shipped', 'ignored'] as const;
type Step = (typeof steps)[number];
const stepColor: Record<string, string> = { picked: 'orange', packed: 'blue', shipped: 'cyan', ignored: 'default' };

/** As GET /api/wms-accounts answers (the secret is write-only: never in it). */
interface WmsAccount {
  id: string;
  name: string;
  warehouse: string;
  active: boolean;
  dictionary: Record<string, string>;
  pushUrl: string;
  createdAt: string | null;
  updatedAt: string | null;
}

type FormValues = { name: string; warehouse: string; secret?: string; rows?: { code?: string; step?: Step }[] };

// This page's own words; the shared ones (warehouse, actions, save, cancel, the shipment steps) come from i18n.tsx.
const zh = {
  intro: '由外部 WMS 作业的仓库：WMS 把拣货、打包、发货通过签名推送报给中台，用它自己的状态码，按下面的状态字典对应到中台的步骤。',
  add: '添加 WMS',
  name: '名称',
  active: '启用',
  pushUrl: '推送地址（填到 WMS）',
  dictionary: '状态字典',
  code: 'WMS 状态码',
  step: '中台步骤',
  ignored: '忽略',
  addCode: '添加状态码',
  secret: '签名密钥',
  secretHint: '至少 16 个字符。WMS 用它签名每次推送（HMAC-SHA256），保存后不再显示。',
  newSecret: '更换密钥',
  newSecretHint: '留空则不变；替换的旧密钥在 24 小时内仍可签名。',
  warehouseFixed: '账号的仓库不能更改：另一个仓库请添加新账号。',
  edit: '编辑',
  rotate: '生成新密钥',
  rotateConfirm: '生成新的签名密钥？',
  rotateConfirmDetail: '新密钥只显示一次。旧密钥在 24 小时内仍可签名，之后失效。',
  rotated: '新的签名密钥',
  rotatedWarning: '此密钥只显示这一次，关闭后无法再查看。请立即复制并交给 WMS 服务商。旧密钥在 24 小时内仍可签名推送，之后失效。',
  rotatedDone: '我已保存密钥',
  remove: '删除',
  removeConfirm: '删除此 WMS 账号？',
  removeConfirmDetail: '只有从未推送过的账号可以删除。',
  removed: '已删除',
  removeRefused: '不能删除此账号',
  removeRefusedHint: '它的推送已记录在发货单历史里，账号需要保留。可以停用它：停用后它的推送会被拒绝（403），需要时可再启用。',
  switchOff: '停用此账号',
  saved: '已保存',
  saveFailed: '保存失败',
  duplicate: '状态码重复',
  codeRequired: '请填写状态码',
  stepRequired: '请选择步骤',
  nameRequired: '请填写名称',
  warehouseRequired: '请选择仓库',
  secretRequired: '请填写签名密钥',
  noCodes: '尚无状态码',
  on: '已启用',
  off: '已停用',
};
const en: Record<keyof typeof zh, string> = {
  intro: 'Warehouses run by an external WMS: the WMS reports picked, packed and shipped to the hub by signed push, in its own status codes, mapped to the hub’s steps by the status dictionary below.',
  add: 'Add WMS',
  name: 'Name',
  active: 'Active',
  pushUrl: 'Push URL (give it to the WMS)',
  dictionary: 'Status dictionary',
  code: 'WMS status code',
  step: 'Hub step',
  ignored: 'Ignored',
  addCode: 'Add a status code',
  secret: 'Signing secret',
  secretHint: 'At least 16 characters. The WMS signs every push with it (HMAC-SHA256); it is never shown after saving.',
  newSecret: 'New secret',
  newSecretHint: 'Leave blank to keep; the replaced secret keeps signing for 24 hours.',
  warehouseFixed: 'The warehouse of an account cannot change: add another account for another warehouse.',
  edit: 'Edit',
  rotate: 'New secret',
  rotateConfirm: 'Make a new signing secret?',
  rotateConfirmDetail: 'The new secret is shown once. The old one keeps signing for 24 hours, then stops.',
  rotated: 'The new signing secret',
  rotatedWarning: 'This secret is shown this once and cannot be seen again after closing. Copy it now and give it to the WMS vendor. The old secret keeps signing pushes for 24 hours, then stops.',
  rotatedDone: 'I have saved the secret',
  remove: 'Delete',
  removeConfirm: 'Delete this WMS account?',
  removeConfirmDetail: 'Only an account that never reported can be deleted.',
  removed: 'Deleted',
  removeRefused: 'This account cannot be deleted',
  removeRefusedHint: 'Its pushes are on record in the shipments’ history, so the account must stay. Switch it off instead: its pushes are then refused (403), and it can be switched on again.',
  switchOff: 'Switch this account off',
  saved: 'Saved',
  saveFailed: 'Not saved',
  duplicate: 'Status code given twice',
  codeRequired: 'Enter the status code',
  stepRequired: 'Choose a step',
  nameRequired: 'Enter a name',
  warehouseRequired: 'Choose a warehouse',
  secretRequired: 'Enter the signing secret',
  noCodes: 'No status codes yet',
  on: 'On',
  off: 'Off',
};
const words: Record<Lang, Record<keyof typeof zh, string>> = { zh, en };

export default function Wms() {
  const { t, lang, label } = useI18n();
  const w = (k: keyof typeof zh) => words[lang][k];
  const stepName = (s: string) => (s === 'ignored' ? w('ignored') : label('shipState', s));
  const { can } = useSession();
  const { message } = App.useApp();
  const manage = can('fulfilment.configure');
  const [items, setItems] = useState<WmsAccount[] | null>(null);
  const [warehouses, setWarehouses] = useState<Warehouse[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [refused, setRefused] = useState<{ account: WmsAccount; message: string } | null>(null);
  const [editing, setEditing] = useState<WmsAccount | 'new' | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [fresh, setFresh] = useState<{ account: WmsAccount; secret: string } | null>(null);
  const [form] = Form.useForm<FormValues>();

  const load = useCallback(
    () =>
      void get<{ items: WmsAccount[] }>('/api/wms-accounts')
        .then((r) => setItems(r.items))
        .catch((e: unknown) => setError(errorText(e))),
    [],
  );
  useEffect(load, [load]);
  useEffect(() => void get<Warehouse[]>('/api/warehouses').then(setWarehouses).catch(() => undefined), []);

  const open = (a: WmsAccount | 'new') => {
    form.resetFields();
    setFormError(null);
    if (a === 'new') form.setFieldsValue({ warehouse: warehouses.length === 1 ? warehouses[0]?.code : undefined, rows: [{}] });
    else form.setFieldsValue({ name: a.name, warehouse: a.warehouse, rows: Object.entries(a.dictionary).map(([code, step]) => ({ code, step: step as Step })) });
    setEditing(a);
  };

  const save = async (v: FormValues) => {
    const rows = (v.rows ?? []).map((r) => ({ code: (r.code ?? '').trim(), step: r.step ?? '' }));
    // The dictionary is an object: a code typed twice would silently keep only its last step.
    const seen = new Set<string>();
    const twice = rows.filter((r) => (seen.has(r.code) ? true : (seen.add(r.code), false))).map((r) => r.code);
    if (twice.length) return setFormError(`${w('duplicate')}: ${[...new Set(twice)].join(', ')}`);
    const dictionary = Object.fromEntries(rows.map((r) => [r.code, r.step]));
    const secret = v.secret ?? '';
    setSaving(true);
    setFormError(null);
    try {
      if (editing === 'new') await post<WmsAccount>('/api/wms-accounts', { name: v.name, warehouse: v.warehouse, secret, dictionary });
      else if (editing) await patch<WmsAccount>(`/api/wms-accounts/${encodeURIComponent(editing.id)}`, { name: v.name, dictionary, ...(secret ? { credentials: { secret } } : {}) });
      message.success(w('saved'));
      setEditing(null);
      load();
    } catch (e) {
      setFormError(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  const setActive = (a: WmsAccount, active: boolean) =>
    patch<WmsAccount>(`/api/wms-accounts/${encodeURIComponent(a.id)}`, { active })
      .then(() => {
        if (refused?.account.id === a.id && !active) setRefused(null);
        load();
      })
      .catch((e: unknown) => setError(errorText(e)));

  const rotate = (a: WmsAccount) =>
    post<{ account: WmsAccount; secret: string }>(`/api/wms-accounts/${encodeURIComponent(a.id)}/rotate-secret`)
      .then((r) => {
        setFresh(r);
        load();
      })
      .catch((e: unknown) => setError(errorText(e)));

  const remove = (a: WmsAccount) =>
    del<{ id: string; deleted: boolean }>(`/api/wms-accounts/${encodeURIComponent(a.id)}`)
      .then(() => {
        message.success(`${w('removed')}: ${a.name}`);
        setRefused(null);
        load();
      })
      .catch((e: unknown) => (e instanceof ApiError && e.status === 409 ? setRefused({ account: a, message: e.message }) : setError(errorText(e))));

  const current = refused ? items?.find((a) => a.id === refused.account.id) : undefined;

  return (
    <Card
      title={t('nav.wms')}
      extra={
        <Button type="primary" icon={<PlusOutlined />} disabled={!manage} onClick={() => open('new')} data-testid="wms-add">
          {w('add')}
        </Button>
      }
    >
      <Space orientation="vertical" style={{ width: '100%' }} size={12}>
        <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
          {w('intro')}
        </Typography.Paragraph>
        {error && <Alert type="error" showIcon closable onClose={() => setError(null)} title={error} data-testid="wms-error" />}
        {refused && (
          <Alert
            type="warning"
            showIcon
            closable
            onClose={() => setRefused(null)}
            title={w('removeRefused')}
            description={w('removeRefusedHint')}
            action={
              current?.active ? (
                <Button size="small" disabled={!manage} onClick={() => void setActive(current, false)} data-testid="wms-switch-off">
                  {w('switchOff')}
                </Button>
              ) : undefined
            }
            data-testid="wms-delete-refused"
          />
        )}
        <Table<WmsAccount>
          rowKey="id"
          loading={items === null && !error}
          dataSource={items ?? []}
          pagination={false}
          columns={[
            { title: w('name'), dataIndex: 'name', width: 140, render: (v: string) => <span data-testid="wms-name-cell">{v}</span> },
            { title: t('order.warehouse'), dataIndex: 'warehouse', width: 110, onCell: () => ({ style: { whiteSpace: 'nowrap' } }) },
            {
              title: w('active'),
              dataIndex: 'active',
              width: 100,
              render: (v: boolean, a) => (
                <Switch checked={v} checkedChildren={w('on')} unCheckedChildren={w('off')} disabled={!manage} onChange={(on) => void setActive(a, on)} data-testid="wms-active" />
              ),
            },
            {
              title: w('pushUrl'),
              dataIndex: 'pushUrl',
              render: (v: string) => (
                <Typography.Text copyable code data-testid="wms-push-url">
                  {v}
                </Typography.Text>
              ),
            },
            {
              title: w('dictionary'),
              dataIndex: 'dictionary',
              width: 260,
              render: (d: Record<string, string>) => (
                <Table<{ code: string; step: string }>
                  size="small"
                  rowKey="code"
                  pagination={false}
                  dataSource={Object.entries(d).map(([code, step]) => ({ code, step }))}
                  columns={[
                    { title: w('code'), dataIndex: 'code', render: (c: string) => <Typography.Text code>{c}</Typography.Text> },
                    { title: w('step'), dataIndex: 'step', render: (s: string) => <Tag color={stepColor[s]}>{stepName(s)}</Tag> },
                  ]}
                  data-testid="wms-dictionary"
                />
              ),
            },
            {
              title: t('common.actions'),
              key: 'actions',
              width: 200,
              render: (_: unknown, a) => (
                <Space wrap>
                  <Button size="small" icon={<EditOutlined />} disabled={!manage} onClick={() => open(a)} data-testid="wms-edit">
                    {w('edit')}
                  </Button>
                  <Popconfirm title={w('rotateConfirm')} description={w('rotateConfirmDetail')} disabled={!manage} onConfirm={() => rotate(a)}>
                    <Button size="small" icon={<KeyOutlined />} disabled={!manage} data-testid="wms-rotate">
                      {w('rotate')}
                    </Button>
                  </Popconfirm>
                  <Popconfirm title={w('removeConfirm')} description={w('removeConfirmDetail')} disabled={!manage} okButtonProps={{ danger: true }} onConfirm={() => remove(a)}>
                    <Button size="small" danger icon={<DeleteOutlined />} disabled={!manage} data-testid="wms-delete">
                      {w('remove')}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      </Space>

      <Modal
        open={editing !== null}
        title={editing === 'new' ? w('add') : `${w('edit')} · ${editing?.name ?? ''}`}
        width={640}
        onCancel={() => setEditing(null)}
        destroyOnHidden
        footer={[
          <Button key="cancel" onClick={() => setEditing(null)} data-testid="wms-cancel">
            {t('common.cancel')}
          </Button>,
          <Button key="save" type="primary" loading={saving} onClick={() => form.submit()} data-testid="wms-save">
            {t('common.save')}
          </Button>,
        ]}
      >
        <Form form={form} layout="vertical" onFinish={(v) => void save(v)} data-testid="wms-form">
          <Form.Item name="name" label={w('name')} rules={[{ required: true, whitespace: true, message: w('nameRequired') }]}>
            <Input maxLength={128} data-testid="wms-name" />
          </Form.Item>
          <Form.Item name="warehouse" label={t('order.warehouse')} rules={[{ required: true, whitespace: true, message: w('warehouseRequired') }]} extra={editing !== 'new' ? w('warehouseFixed') : undefined}>
            {editing === 'new' && warehouses.length > 0 ? (
              <Select
                showSearch
                options={warehouses.map((h) => ({ value: h.code, label: h.name && h.name !== h.code ? `${h.code} · ${h.name}` : h.code }))}
                data-testid="wms-warehouse"
              />
            ) : (
              <Input maxLength={64} disabled={editing !== 'new'} data-testid="wms-warehouse" />
            )}
          </Form.Item>
          {editing === 'new' ? (
            <Form.Item name="secret" label={w('secret')} extra={w('secretHint')} rules={[{ required: true, message: w('secretRequired') }]}>
              <Input.Password autoComplete="new-password" maxLength={512} data-testid="wms-secret" />
            </Form.Item>
          ) : (
            <Form.Item name="secret" label={w('newSecret')} extra={w('newSecretHint')}>
              <Input.Password autoComplete="new-password" maxLength={512} placeholder={t('accounts.keep')} data-testid="wms-secret" />
            </Form.Item>
          )}
          <Typography.Text strong>{w('dictionary')}</Typography.Text>
          <Form.List name="rows">
            {(fields, { add, remove: drop }) => (
              <div style={{ marginTop: 8 }}>
                {fields.length === 0 && <Typography.Paragraph type="secondary">{w('noCodes')}</Typography.Paragraph>}
                {fields.map((f, i) => (
                  <Space key={f.key} align="baseline" style={{ display: 'flex' }}>
                    <Form.Item name={[f.name, 'code']} rules={[{ required: true, whitespace: true, message: w('codeRequired') }]}>
                      <Input placeholder={w('code')} maxLength={64} style={{ width: 220 }} data-testid={`wms-code-${i}`} />
                    </Form.Item>
                    <span>→</span>
                    <Form.Item name={[f.name, 'step']} rules={[{ required: true, message: w('stepRequired') }]}>
                      <Select placeholder={w('step')} style={{ width: 180 }} options={steps.map((s) => ({ value: s, label: stepName(s) }))} data-testid={`wms-step-${i}`} />
                    </Form.Item>
                    <Button type="text" icon={<MinusCircleOutlined />} onClick={() => drop(f.name)} aria-label={w('remove')} data-testid={`wms-remove-code-${i}`} />
                  </Space>
                ))}
                <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({})} data-testid="wms-add-code">
                  {w('addCode')}
                </Button>
              </div>
            )}
          </Form.List>
          {formError && <Alert type="error" showIcon style={{ marginTop: 16 }} title={`${w('saveFailed')}: ${formError}`} data-testid="wms-form-error" />}
        </Form>
      </Modal>

      <Modal
        open={fresh !== null}
        title={`${w('rotated')} · ${fresh?.account.name ?? ''}`}
        closable={false}
        maskClosable={false}
        keyboard={false}
        destroyOnHidden
        footer={
          <Button type="primary" onClick={() => setFresh(null)} data-testid="wms-secret-done">
            {w('rotatedDone')}
          </Button>
        }
      >
        <Alert type="warning" showIcon title={w('rotatedWarning')} style={{ marginBottom: 12 }} data-testid="wms-secret-warning" />
        <Typography.Paragraph copyable={{ text: fresh?.secret ?? '' }} code style={{ fontSize: 15 }}>
          <span data-testid="wms-new-secret">{fresh?.secret}</span>
        </Typography.Paragraph>
      </Modal>
    </Card>
  );
}
