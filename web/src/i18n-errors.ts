// The hub's error codes as people read them, in Chinese and English: the part of the console's catalogue that the
// API layer (api.ts) uses to word every refusal once. A code missing here shows the server's own message.
/** The console's languages (i18n.tsx's Lang; kept here so that this file stands alone, also for the tests). */
type Lang = 'zh' | 'en';

type Details = Record<string, unknown>;
/** Names a code's value (a shipment state …) in the current language; the code itself when it has no name. */
export type Namer = (group: 'shipState' | 'status' | 'approvalState', code: string) => string;
type Text = string | ((d: Details, name: Namer, server: string | null) => string | null);
type Entry = { zh: Text; en: Text };

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);
const list = (v: unknown): string | null => (Array.isArray(v) && v.length ? v.map((x) => (typeof x === 'string' ? x : '')).filter(Boolean).join('、') : null);

/** The field a validation refusal names, as the last part of its path (`body/trackingNo` → `trackingNo`). */
function field(d: Details): string | null {
  const first = Array.isArray(d.errors) ? (d.errors[0] as { path?: unknown } | undefined) : undefined;
  const path = str(first?.path);
  const last = path?.split('/').filter(Boolean).pop();
  return last && !['body', 'querystring', 'params', 'request'].includes(last) ? last : null;
}

const errors: Record<string, Entry> = {
  // Signing in and sessions
  SIGN_IN_FAILED: { zh: '用户名或密码错误，或该用户不属于这个组织', en: 'Wrong username or password, or the user is not in this organisation' },
  SIGN_IN_LOCKED: { zh: '密码错误次数过多，账号已暂时锁定，请稍后再试', en: 'Too many wrong passwords: the account is locked for a while, try again later' },
  RATE_LIMITED: { zh: '尝试次数过多，请稍后再试', en: 'Too many attempts, try again in a moment' },
  UNAUTHENTICATED: { zh: '登录已失效，请重新登录', en: 'Your session has ended, please sign in again' },
  CSRF_TOKEN_INVALID: { zh: '页面已过期，请刷新后重试', en: 'The page is out of date, reload it and try again' },
  FORBIDDEN: { zh: '你没有执行此操作的权限', en: 'You are not allowed to do this' },
  // Input
  // A use case's own check names no field: its sentence (still the hub's English) says what to fix, until those
  // checks carry codes of their own.
  VALIDATION_FAILED: {
    zh: (d, _n, server) => (field(d) ? `输入有误：请检查「${field(d)}」` : server ? `输入有误：${server}` : '输入有误，请检查后重试'),
    en: (d, _n, server) => (field(d) ? `Invalid input: check “${field(d)}”` : server ? `Invalid input: ${server}` : 'Invalid input, check it and try again'),
  },
  BODY_INVALID_JSON: { zh: '请求格式有误', en: 'The request is malformed' },
  BODY_TOO_LARGE: { zh: '提交的内容太大', en: 'What was sent is too large' },
  BODY_TOO_DEEP: { zh: '提交的内容层级太深', en: 'What was sent is nested too deeply' },
  REQUEST_MALFORMED: { zh: '请求格式有误', en: 'The request is malformed' },
  REQUEST_TIMEOUT: { zh: '请求超时，请重试', en: 'The request timed out, try again' },
  ROUTE_NOT_FOUND: { zh: '没有这个功能地址', en: 'No such address in the hub' },
  PLATFORM_NOT_SUPPORTED: { zh: '不支持该平台', en: 'This platform is not supported' },
  // Things not found
  ORDER_NOT_FOUND: { zh: '找不到该订单', en: 'Order not found' },
  SKU_NOT_FOUND: { zh: '找不到该 SKU', en: 'SKU not found' },
  SKU_EXISTS: { zh: '该 SKU 已存在', en: 'This SKU exists already' },
  USER_NOT_FOUND: { zh: '找不到该用户', en: 'User not found' },
  ROLE_NOT_FOUND: { zh: '找不到该角色', en: 'Role not found' },
  TOKEN_NOT_FOUND: { zh: '找不到该 API 令牌', en: 'API token not found' },
  ACCOUNT_NOT_FOUND: { zh: '找不到该店铺或账号', en: 'Shop or account not found' },
  ACCOUNT_INACTIVE: { zh: '该店铺或账号已停用', en: 'This shop or account is switched off' },
  SHIPMENT_NOT_FOUND: { zh: '找不到该包裹', en: 'Parcel not found' },
  WAVE_NOT_FOUND: { zh: '找不到该波次', en: 'Wave not found' },
  LISTING_NOT_FOUND: { zh: '找不到该商品链接', en: 'Listing not found' },
  ALERT_NOT_FOUND: { zh: '找不到该告警', en: 'Alert not found' },
  WEBHOOK_NOT_FOUND: { zh: '找不到该 Webhook', en: 'Webhook not found' },
  RAW_EVENT_NOT_FOUND: { zh: '找不到该原始消息', en: 'Raw event not found' },
  PAYMENT_EXCEPTION_NOT_FOUND: { zh: '找不到该支付异常', en: 'Payment exception not found' },
  BUNDLE_NOT_FOUND: { zh: '找不到该组合商品', en: 'Bundle not found' },
  BUNDLE_INVALID: { zh: '组合商品的组成有误', en: 'The bundle’s parts are not valid' },
  BUNDLE_IN_USE: { zh: '该组合商品仍在使用中，不能删除', en: 'The bundle is still in use and cannot be removed' },
  BUNDLE_HOLDS_NO_STOCK: { zh: '组合商品本身没有库存，请调整其组成商品的库存', en: 'A bundle holds no stock of its own: adjust its parts instead' },
  // Orders and stock
  TRANSITION_NOT_ALLOWED: {
    zh: (d, n) => (str(d.from) && str(d.to) ? `不能从「${n('status', str(d.from) as string)}」变为「${n('status', str(d.to) as string)}」` : '当前状态下不能这样变更'),
    en: (d, n) => (str(d.from) && str(d.to) ? `Cannot go from “${n('status', str(d.from) as string)}” to “${n('status', str(d.to) as string)}”` : 'This change is not allowed in the current state'),
  },
  TRANSITION_GUARD_FAILED: { zh: '当前条件下不能进行此变更', en: 'This change is refused in the current situation' },
  STOCK_BELOW_RESERVED: { zh: '库存不能少于已占用的数量', en: 'Stock cannot go below what is reserved' },
  STOCK_INSUFFICIENT: { zh: '库存不足', en: 'Not enough stock' },
  ORDER_HELD: {
    zh: (d) => (list(d.shipments) ? `有订单被挂起或已取消，不能拣货：${list(d.shipments)}` : '订单被挂起（或已取消），包裹不能继续作业，请先处理挂起原因'),
    en: (d) => (list(d.shipments) ? `Orders on hold or cancelled, not to be picked: ${list(d.shipments)}` : 'The order is on hold (or cancelled): the parcel cannot go on until it is released'),
  },
  ORDER_NOT_ROUTABLE: { zh: '订单无法分配到仓库（没有合适的仓库或库存不足）', en: 'The order cannot be routed to a warehouse (no suitable warehouse or not enough stock)' },
  ROUTING_PLAN_STALE: { zh: '分仓方案已过期（库存已变化），请重新分仓', en: 'The routing plan no longer fits (stock changed): route again' },
  // One code for many situations (a username taken, a built-in role, a change made meanwhile): said generally.
  CONFLICT: { zh: '与当前状态冲突，未执行（可能已被他人修改，请刷新后查看）', en: 'Refused: it conflicts with the current state, nothing was done (reload to see whether it changed meanwhile)' },
  REMARK_NOT_SUPPORTED: { zh: '该平台不支持写回备注', en: 'This platform does not take remarks' },
  // Warehouse work: waves, scanning, packing, shipping
  SHIPMENT_STATE: {
    zh: (d, n) => (str(d.state) ? `包裹当前为「${n('shipState', str(d.state) as string)}」，不能进行此操作` : '包裹当前状态下不能进行此操作'),
    en: (d, n) => (str(d.state) ? `The parcel is “${n('shipState', str(d.state) as string)}”: this cannot be done now` : 'This cannot be done to the parcel in its current state'),
  },
  SHIPMENT_CANCELLED: { zh: '包裹已取消，不能发出，请把货品放回货架', en: 'The parcel was cancelled: it must not leave, put its units back on the shelf' },
  SHIPMENT_ALREADY_SHIPPED: { zh: '包裹已发货', en: 'The parcel has already shipped' },
  PACK_SCAN_MISMATCH: {
    zh: (d) => {
      const wrong = list(d.wrong);
      const extra = Array.isArray(d.extra) ? (d.extra as { sku?: unknown; scanned?: unknown; stillNeeded?: unknown }[]) : [];
      const parts = [...(wrong ? [`不属于此包裹：${wrong}`] : []), ...extra.map((e) => `${str(e.sku) ?? ''} 扫了 ${str(e.scanned) ?? '?'} 件，还需 ${str(e.stillNeeded) ?? '?'} 件`)];
      return `扫描错误，本次未记录${parts.length ? `（${parts.join('；')}）` : ''}`;
    },
    en: (d) => {
      const wrong = list(d.wrong);
      const extra = Array.isArray(d.extra) ? (d.extra as { sku?: unknown; scanned?: unknown; stillNeeded?: unknown }[]) : [];
      const parts = [...(wrong ? [`not in this parcel: ${wrong}`] : []), ...extra.map((e) => `${str(e.sku) ?? ''}: ${str(e.scanned) ?? '?'} scanned, ${str(e.stillNeeded) ?? '?'} still needed`)];
      return `Wrong scan, nothing was recorded${parts.length ? ` (${parts.join('; ')})` : ''}`;
    },
  },
  TRACKING_NO_IN_USE: { zh: '该快递单号已用于另一个包裹', en: 'This tracking number is already on another parcel' },
  TRACKING_NO_UNCHANGED: { zh: '包裹已经是这个快递单号，无需更正', en: 'The parcel already has this tracking number: nothing to correct' },
  CORRECTION_UNSUPPORTED: {
    zh: '该平台不支持通过接口更正已回传的快递单号：请到平台后台修改，再勾选「已在平台后台改过」',
    en: 'This platform takes no corrected tracking number through its API: change it in its back office, then tick “Already changed on the platform”',
  },
  WAREHOUSE_NOT_FOUND: { zh: '仓库不存在：请从列表中选择已有的仓库（新仓库请先在仓库页面添加）', en: 'No such warehouse: pick one from the list (add a new warehouse on its page first)' },
  PRICE_CHANGE_UNSUPPORTED: { zh: '该渠道的订单不能在中台改价：改价到不了平台，请在平台后台修改', en: 'This channel’s orders cannot be repriced in the hub: the price would not reach the platform; change it in its back office' },
  SHIP_THROUGH_WAREHOUSE: { zh: '该订单有包裹正在仓库作业中：请在仓库作业中发货（扫描、填写快递单号），不要手动改为已发货', en: 'A parcel of this order is in the warehouse: ship it there (scan, tracking number) instead of marking the order shipped by hand' },
  SHIP_BACK_IN_FLIGHT: { zh: '正在向平台回传发货信息，请稍后再更正', en: 'The platform is being told about this parcel right now: correct it afterwards' },
  WMS_STATUS_UNKNOWN: { zh: '仓储系统回传了未知状态', en: 'The warehouse system sent an unknown status' },
  LEASE_LOST: { zh: '任务已被其他进程接手，请重试', en: 'Another process took over the task: try again' },
  // E-waybills
  WAYBILL_ACCOUNT_MISSING: { zh: '没有可用的电子面单账号，请先添加，或手动填写快递单号发货', en: 'No e-waybill account for this parcel: add one, or ship with a typed tracking number' },
  WAYBILL_NOT_FOUND: { zh: '还没有电子面单，请先取号', en: 'No e-waybill yet: get one first' },
  WAYBILL_REFUSED: { zh: '快递网点拒绝了电子面单申请', en: 'The carrier network refused the e-waybill' },
  WAYBILL_UNAVAILABLE: { zh: '快递网点暂时没有返回单号，请稍后重试', en: 'The carrier network gave no number for now: try again shortly' },
  WAYBILL_MISMATCH: { zh: '包裹已有电子面单，只能用面单上的快递公司和单号发货（或先取消面单）', en: 'The parcel has an e-waybill: ship it with that carrier and number, or cancel the waybill first' },
  LABEL_FONT_MISSING: { zh: '服务器缺少打印面单所需的中文字体', en: 'The server lacks the Chinese font needed to print labels' },
  // Approvals
  APPROVAL_NOT_FOUND: { zh: '找不到该审批', en: 'Approval not found' },
  APPROVAL_SELF: { zh: '不能审批自己提交的申请，需由他人审批', en: 'You cannot approve your own request: someone else must' },
  APPROVAL_DECIDED: { zh: '该审批已处理', en: 'This approval was decided already' },
  APPROVAL_EXPIRED: { zh: '该审批已过期，请重新提交申请', en: 'This approval expired: ask for it again' },
  // Platform writes (outbound)
  OUTBOUND_NOT_FOUND: { zh: '找不到该平台回传记录', en: 'Platform write not found' },
  OUTBOUND_NOT_OPEN: { zh: '该平台回传不是待处理的异常，无法重试或处理', en: 'This platform write is not an open exception' },
  PLATFORM_UNAVAILABLE: { zh: '平台暂时无法访问，请稍后重试', en: 'The platform cannot be reached right now: try again later' },
  ACCOUNT_PLATFORM_MISMATCH: { zh: '店铺与平台不符', en: 'The shop is not on this platform' },
  // The hub itself
  NOT_READY: { zh: '系统正在启动，请稍后重试', en: 'The hub is starting: try again in a moment' },
  OVERLOADED: { zh: '系统繁忙，请稍后重试', en: 'The hub is busy: try again in a moment' },
  BUSY: { zh: '系统繁忙，请稍后重试', en: 'The hub is busy: try again in a moment' },
  INTERNAL: { zh: '系统内部错误，已记录，请稍后重试或联系管理员', en: 'Internal error (logged): try again later or ask an administrator' },
  CONFIG_INVALID: { zh: '配置有误', en: 'The configuration is not valid' },
  SIGNATURE_INVALID: { zh: '签名校验失败', en: 'The signature does not match' },
  SIGNATURE_MISSING: { zh: '缺少签名', en: 'The signature is missing' },
  URL_INVALID: { zh: '地址格式有误', en: 'The address is malformed' },
  URI_TOO_LONG: { zh: '地址太长', en: 'The address is too long' },
  HEADERS_TOO_LARGE: { zh: '请求头太大', en: 'The request headers are too large' },
  UNSUPPORTED_MEDIA_TYPE: { zh: '不支持的内容格式', en: 'This content type is not accepted' },
  EVENT_ID_MISSING: { zh: '缺少消息编号', en: 'The event id is missing' },
  TIMESTAMP_INVALID: { zh: '时间戳格式有误', en: 'The timestamp is malformed' },
  TIMESTAMP_OUT_OF_WINDOW: { zh: '时间戳超出允许范围（请检查服务器时间）', en: 'The timestamp is too far from now (check the clocks)' },
};

/** The error codes the console words itself. */
export const translatedErrorCodes: readonly string[] = Object.keys(errors);

/** An error code worded for people in `lang`, or null when the catalogue has no words for it. */
export function errorText(lang: Lang, code: string, details: unknown, name: Namer, serverMessage: string | null = null): string | null {
  const entry = Object.hasOwn(errors, code) ? errors[code] : undefined;
  if (!entry) return null;
  const text = entry[lang];
  if (typeof text === 'string') return text;
  const d = details && typeof details === 'object' && !Array.isArray(details) ? (details as Details) : {};
  return text(d, name, serverMessage);
}
