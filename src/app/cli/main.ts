// The `orderhub` command: serve the hub, run migrations, and the first things an operator needs.
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, describeConfig, loadConfig, type Config } from '../../platform/config.ts';
import { createLogger, type Logger } from '../../platform/log.ts';
import { startHub, type Hub } from '../hub.ts';
import { buildApp, publicBase } from '../http/app.ts';
import { migrate } from '../../platform/db/migrate.ts';
import { openHubDatabase } from '../hub.ts';
import { HubError, isHubError } from '../../kernel/errors.ts';
import { systemPrincipal } from '../../kernel/principal.ts';
import { DEFAULT_TENANT } from '../../kernel/tenancy.ts';
import { hashPassword } from '../../platform/security/secrets.ts';
import { verifyAudit } from '../../modules/access/audit.ts';
import { rotateAdminToken } from '../../modules/access/admin-token.ts';
import { DEMO_PASSWORD, prepareDemo, type DemoSetup } from '../../sandbox/demo/seed.ts';
import { DemoSimulator } from '../../sandbox/demo/simulator.ts';
import { startDemoPayments } from '../../sandbox/demo/payments.ts';
import { startSimulatorServer, type SimulatorServer } from '../../sandbox/simulators/server.ts';
import { keyReport, MAX_BATCH, reencrypt, type KeyReport } from '../../platform/security/reencrypt.ts';
import { userInfo } from 'node:os';
import { readFileSync } from 'node:fs';

function checkTenant(t: string): void {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(t)) throw new HubError('VALIDATION_FAILED', `--tenant must be 1–64 letters, digits, _ or - (got "${t}")`);
}

/** `--tenant` on every command that reads or writes an organisation's data (one hub may host several: 代运营). */
function withTenant(cmd: Command, help = 'the seller organisation (one hub can host several)'): Command {
  return cmd.option('--tenant <id>', help, DEFAULT_TENANT);
}

/**
 * A list that came back empty for the organisation asked about, while others hold data: say so on stderr (the demo
 * runs in organisation "demo"; a silent empty list reads as "nothing here").
 */
async function hintOtherOrganisations(hub: Hub, tenant: string, what: string): Promise<void> {
  const others = (await hub.people.organisations()).filter((t) => t !== tenant);
  if (others.length) process.stderr.write(`no ${what} in organisation "${tenant}"; organisations here: ${others.join(', ')} (use --tenant <id>)\n`);
}

/** The package's version, for `--version`. */
function hubVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** The CLI acts as the operator at this machine's shell; the audit log names the OS user. */
function cli(tenant: string = DEFAULT_TENANT) {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep 'unknown'
  }
  return systemPrincipal(tenant, `cli:${user}`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function int(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number, 0 or more`);
    return n;
  };
}

/** `--batch`: a transaction's worth of rows; 0 or a huge number would defeat the point of batching. */
function batchSize(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < 1 || n > MAX_BATCH) {
    throw new InvalidArgumentError(`--batch must be a whole number from 1 to ${MAX_BATCH}`);
  }
  return n;
}

/** The key report as an operator reads it: counts per column, then what each key is still needed for. */
function printKeyReport(r: KeyReport): void {
  out(`active key: ${r.activeKeyId}   keyring: ${r.keyring.join(', ')}`);
  for (const c of r.columns) {
    const parts = Object.entries(c.byKey).map(([id, n]) => `${id}=${n}`);
    if (c.kind === 'encrypted') parts.push(`plaintext=${c.plaintext}`);
    if (c.kind === 'index hash') parts.push(`missing=${c.plaintext}`);
    out(`  ${`${c.table}.${c.column}`.padEnd(32)} ${c.kind.padEnd(16)} ${parts.join('  ') || '(none)'}`);
  }
  for (const k of r.keys) {
    const role = k.active ? 'active' : k.inKeyring ? 'old' : 'NOT IN THE KEYRING';
    let verdict: string;
    if (k.active) verdict = 'encrypts new data';
    else if (k.values > 0) verdict = k.inKeyring ? 'still in use: run `orderhub data reencrypt`' : 'these values cannot be read until the key is put back';
    else if (k.auditEntries > 0) verdict = 'no data left under it; keep it while its audit entries must verify';
    else verdict = 'unused: it can be removed from the list';
    out(`key ${k.id} (${role}): ${k.values} values, ${k.auditEntries} audit entries: ${verdict}`);
  }
  out(r.pending === 0 ? 'nothing left to re-encrypt' : `${r.pending} values are plaintext or under an old key: run \`orderhub data reencrypt\``);
}

function out(v: unknown): void {
  process.stdout.write(typeof v === 'string' ? `${v}\n` : `${JSON.stringify(v, null, 2)}\n`);
}

/** Runs a command against a hub without background workers, then closes it. */
async function withHub<T>(config: Config, fn: (hub: Hub) => Promise<T>): Promise<T> {
  const hub = await startHub(config, createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr), { workers: false });
  try {
    return await fn(hub);
  } finally {
    await hub.close();
  }
}

export async function serve(
  config: Config,
  log: Logger,
  opts: { demo?: boolean } = {},
): Promise<{ hub: Hub; url: string; stop: () => Promise<void>; demo: { setup: DemoSetup | null; reason: string } }> {
  const hub = await startHub(config, log, {
    writerThread: config.sqliteWriterThread,
    // Without its writer the hub would answer pushes it cannot store: stop, and let the supervisor restart it.
    onWriterDeath: () => process.exit(70),
  });
  let demo: { setup: DemoSetup | null; reason: string } = { setup: null, reason: 'not asked for (serve --demo)' };
  let sims: SimulatorServer | null = null;
  if (opts.demo && !config.demo) demo = { setup: null, reason: 'switched off (ORDERHUB_DEMO=0)' };
  else if (opts.demo) {
    // The demo's platform shops: every platform's simulator, on loopback, answering the hub's pulls.
    sims = await startSimulatorServer();
    const setup = await prepareDemo(hub, sims);
    demo = setup ? { setup, reason: setup.created ? 'created' : 'resumed' } : { setup: null, reason: 'skipped: the database already holds other data' };
    if (!setup) {
      await sims.close();
      sims = null;
    }
  }
  const app = await buildApp(hub, { demo: demo.setup ? { tenant: demo.setup.tenant, password: DEMO_PASSWORD, users: demo.setup.users } : null });
  const address = await app.listen({ port: config.port, host: config.host });
  const url = address.replace('[::1]', 'localhost');
  // Port 0 asked for any free port: the URLs the hub shows platforms (and the demo's signed pushes) need the real one.
  if (config.port === 0) hub.config.port = Number(new URL(address).port);
  const local = url.replace('localhost', '127.0.0.1');
  const demoPayments = demo.setup ? await startDemoPayments(hub, demo.setup, local, log) : null;
  const simulator = demo.setup
    ? new DemoSimulator(local, demo.setup, config.demoRate, log, Math.random, (id) => hub.poller.runAccount(id), publicBase(hub), demoPayments, (id) => hub.listings.request(id))
    : null;
  simulator?.start();
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('stopping: finishing requests in flight');
      await simulator?.stop();
      // A keep-alive connection whose request finishes after close began is idle only from then on; Node would
      // wait out its keep-alive timeout (72 s) before closing it. Close such connections as they become idle.
      const idle = setInterval(() => app.server.closeIdleConnections(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(idle);
      }
      log.info('http server closed; closing the database and workers');
      await hub.close();
      await sims?.close();
      await demoPayments?.close();
      log.info('stopped');
    })());
  return { hub, url, stop, demo };
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program
    .name('orderhub')
    .description('Self-hosted order hub: every order from every channel, honest stock, trusted payments.')
    .version(hubVersion(), '-V, --version', 'print the hub\'s version')
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) });

  const config = (): Config => loadConfig();

  program
    .command('serve')
    .description('run the hub: HTTP API, platform hooks and background workers (embedded SQLite unless DATABASE_URL is set)')
    .option('-p, --port <port>', 'port to listen on (PORT)', int('port'))
    .option('--host <host>', 'address to listen on (HOST)')
    .option('--demo', 'on a fresh database, create the demo organisation and run its order simulator (ORDERHUB_DEMO=0 switches it off)')
    .action(async (opts: { port?: number; host?: string; demo?: boolean }) => {
      const c = { ...config(), ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.host ? { host: opts.host } : {}) };
      const log = createLogger(c.logLevel);
      const { hub, url, stop, demo } = await serve(c, log, { demo: opts.demo ?? false });
      if (hub.adminToken.generated) {
        // Printed once, on the start that created it; the database keeps only its hash.
        process.stdout.write(
          `\n  Admin token (generated; shown only now, the database keeps only its hash — \`orderhub token\` issues a new one):\n\n    ${hub.adminToken.token}\n\n`,
        );
      }
      log.info({ url, database: hub.db.location, docs: `${url}/docs`, webhookBase: publicBase(hub) }, `order hub listening on ${url}`);
      if (opts.demo) {
        process.stdout.write(
          demo.setup
            ? `\n  Demo (${demo.reason}): open ${url} and sign in as ${demo.setup.users.map((u) => `${u.username} (${u.role})`).join(', ')},\n` +
                `  password ${DEMO_PASSWORD}, organisation ${demo.setup.tenant}. A simulator sends about ${c.demoRate} orders a minute.\n` +
                `  ORDERHUB_DEMO=0 npm start runs without it.\n\n`
            : `\n  Demo ${demo.reason}. Console: ${url}\n\n`,
        );
      }
      const onSignal = (sig: string) => {
        log.info({ signal: sig }, 'signal received');
        void stop().then(
          () => process.exit(0),
          (e: unknown) => {
            log.error({ err: e }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    });

  program
    .command('migrate')
    .description('apply database migrations and exit')
    .action(async () => {
      const c = config();
      const db = await openHubDatabase(c);
      try {
        const r = await migrate(db);
        out(r.applied.length ? `applied: ${r.applied.join(', ')}` : `schema is up to date (version ${r.current})`);
      } finally {
        await db.close();
      }
    });

  program
    .command('config')
    .description('print the effective configuration (secrets hidden) and where each value can be set')
    .action(() => {
      const c = config();
      const d = describeConfig(c);
      for (const [k, v] of Object.entries(d)) out(`${k.padEnd(26)} ${String(JSON.stringify(v.value)).padEnd(44)} ${v.env ?? ''}`);
    });

  program
    .command('token')
    .description('issue a new admin bearer token for /api and print it once; the old one stops working within seconds')
    .action(async () => {
      const c = config();
      await withHub(c, async (hub) => out(await rotateAdminToken(hub.db, hub.keyring, cli(), c.adminToken)));
    });

  const account = program.command('account').description('channel accounts (shops)');
  withTenant(account
    .command('create')
    .description('add a shop, e.g. orderhub account create --platform ownshop --name "Web shop" --secret s3cr3t'))
    .requiredOption('--platform <platform>', 'platform: ownshop')
    .requiredOption('--name <name>', 'a name people recognise')
    .option('--secret <secret>', 'own shop: the HMAC signing secret')
    .option('--credentials <json>', 'credentials as a JSON object (instead of --secret)')
    .action(async (opts: { platform: string; name: string; secret?: string; credentials?: string; tenant: string }) => {
      checkTenant(opts.tenant);
      let credentials: unknown = opts.secret !== undefined ? { secret: opts.secret } : {};
      if (opts.credentials) {
        try {
          credentials = JSON.parse(opts.credentials);
        } catch {
          throw new InvalidArgumentError('--credentials must be a JSON object');
        }
      }
      await withHub(config(), async (hub) => {
        const a = await hub.writes.createAccount(cli(opts.tenant), { platform: opts.platform, name: opts.name, credentials });
        out({ id: a.id, platform: a.platform, name: a.name, webhookUrl: `${publicBase(hub)}/hooks/${a.platform}/${a.id}` });
      });
    });
  withTenant(account.command('list').description('list shops'))
    .action(async (opts: { tenant: string }) => {
      checkTenant(opts.tenant);
      await withHub(config(), async (hub) => {
        const accounts = await hub.accounts.list(cli(opts.tenant));
        for (const a of accounts) out(`${a.id}  ${a.platform.padEnd(10)} ${a.active ? 'active  ' : 'inactive'} ${a.name}`);
        if (!accounts.length) await hintOtherOrganisations(hub, opts.tenant, 'shops');
      });
    });

  const stock = program.command('stock').description('stock per SKU and warehouse');
  withTenant(stock
    .command('set <sku>'))
    .description('set counted stock, e.g. orderhub stock set A1 --warehouse WH1 --on-hand 100')
    .requiredOption('--warehouse <code>', 'warehouse code')
    .requiredOption('--on-hand <n>', 'units on hand', int('--on-hand'))
    .option('--safety <n>', 'safety stock', int('--safety'))
    .option('--reason <text>', 'why the count changed, kept in the movement ledger', 'cli')
    .option('--create-warehouse', 'create the warehouse (named after its code) if it does not exist; without it an unknown warehouse is refused')
    .action(async (sku: string, opts: { warehouse: string; onHand: number; safety?: number; reason: string; createWarehouse?: boolean; tenant: string }) => {
      checkTenant(opts.tenant);
      await withHub(config(), async (hub) => {
        const r = await hub.writes.setStock(cli(opts.tenant), {
          sku,
          warehouse: opts.warehouse,
          onHand: opts.onHand,
          safetyStock: opts.safety,
          cause: 'cli',
          reason: opts.reason,
          unknownWarehouse: opts.createWarehouse ? 'create' : 'refuse',
        });
        out({ ...r.stock, servedOrders: r.servedOrders });
      });
    });
  withTenant(stock.command('get <sku>').description('show stock of a SKU'))
    .action(async (sku: string, opts: { tenant: string }) => {
      checkTenant(opts.tenant);
      await withHub(config(), async (hub) => out(await hub.stock.get(cli(opts.tenant), sku)));
    });
  withTenant(stock
    .command('map <platformSku> <sku>'))
    .description('map a platform SKU code to a hub SKU; orders held as unmatched are reserved')
    .option('--account <id>', 'only for this channel account')
    .action(async (platformSku: string, sku: string, opts: { account?: string; tenant: string }) => {
      checkTenant(opts.tenant);
      await withHub(config(), async (hub) => out(await hub.writes.mapSku(cli(opts.tenant), { externalSku: platformSku, sku, accountId: opts.account })));
    });

  const user = program.command('user').description('people who sign in to the console');
  user
    .command('create <username>')
    .description('add a user; the password is read from stdin, e.g. echo "$PW" | orderhub user create li.lei --role operations')
    .option('--role <role...>', 'roles (admin, operations, customer_service, warehouse, finance, read_only, or a custom role)', ['read_only'])
    .option('--name <displayName>', 'name shown in the console')
    .option('--provinces <list>', 'only orders shipping to these provinces (comma-separated)')
    .option('--accounts <list>', 'only these channel accounts (comma-separated ids)')
    .option('--warehouses <list>', 'only these warehouses (comma-separated codes)')
    .option('--tenant <id>', 'the seller organisation, where one hub hosts several (代运营): its first admin is made here', DEFAULT_TENANT)
    .action(async (username: string, opts: { role: string[]; name?: string; provinces?: string; accounts?: string; warehouses?: string; tenant: string }) => {
      checkTenant(opts.tenant);
      const password = await readStdin();
      if (!password) throw new HubError('VALIDATION_FAILED', 'give the password on stdin');
      const list = (v?: string) => (v === undefined ? null : v.split(',').map((x) => x.trim()).filter(Boolean));
      const passwordHash = await hashPassword(password, username);
      await withHub(config(), async (hub) => {
        const u = await hub.writes.createUser(cli(opts.tenant), {
          username,
          ...(opts.name ? { displayName: opts.name } : {}),
          passwordHash,
          roles: opts.role,
          scope: { accounts: list(opts.accounts), warehouses: list(opts.warehouses), provinces: list(opts.provinces) },
        });
        out({ id: u.id, username: u.username, roles: u.roles, scope: u.scope });
      });
    });
  user
    .command('list')
    .description('list users')
    .option('--tenant <id>', 'the seller organisation', DEFAULT_TENANT)
    .action(async (opts: { tenant: string }) => {
      checkTenant(opts.tenant);
      await withHub(config(), async (hub) => {
        const users = await hub.people.listUsers(opts.tenant);
        for (const u of users) {
          out(`${u.id}  ${u.username.padEnd(20)} ${(u.active ? (u.locked ? 'locked' : 'active') : 'inactive').padEnd(8)} ${u.roles.join(',')}`);
        }
        if (!users.length) await hintOtherOrganisations(hub, opts.tenant, 'users');
      });
    });

  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description('walk the hash chain of every tenant and report every broken link (exit 1 if any)')
    .action(async () => {
      const broken = await withHub(config(), async (hub) => {
        let bad = 0;
        const verdicts = await verifyAudit(hub.db, hub.keyring);
        if (verdicts.length === 0) out('audit log: empty');
        for (const v of verdicts) {
          if (v.ok) out(`tenant ${v.tenantId}: ok, ${v.checked} entries, chain intact`);
          else {
            bad++;
            out(`tenant ${v.tenantId}: BROKEN, ${v.brokenCount} broken link${v.brokenCount === 1 ? '' : 's'} in ${v.checked} entries`);
            for (const b of v.broken) out(`  entry seq ${b.seq}${b.id !== null ? ` (row id ${b.id})` : ''}: ${b.reason}`);
            if (v.brokenCount > v.broken.length) out(`  … and ${v.brokenCount - v.broken.length} more`);
          }
        }
        return bad;
      });
      if (broken) process.exit(1);
    });

  const data = program.command('data').description('personal data at rest: which data key it is under, and re-encryption after a rotation');
  data
    .command('keys')
    .description('count stored values per data key (and plaintext) per column, and the audit entries each key signed')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withHub(config(), async (hub) => {
        const r = await keyReport(hub.db, hub.keyring);
        if (opts.json) out(r);
        else printKeyReport(r);
      });
    });
  data
    .command('reencrypt')
    .description('rewrite plaintext and old-key values under the first (active) key, in batches; safe to interrupt and run again')
    .option('--batch <n>', `rows per transaction (1–${MAX_BATCH})`, batchSize, 500)
    .option('--dry-run', 'count what would be rewritten, write nothing')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { batch: number; dryRun?: boolean; json?: boolean }) => {
      await withHub(config(), async (hub) => {
        const r = await reencrypt(hub.db, hub.keyring, {
          batchSize: opts.batch,
          dryRun: opts.dryRun ?? false,
          auditAs: cli(),
          onProgress: (p) => process.stderr.write(`${p.table}: ${p.rowsDone} rows checked, ${p.rowsChanged} ${opts.dryRun ? 'to rewrite' : 'rewritten'}\n`),
        });
        const left = opts.dryRun ? null : (await keyReport(hub.db, hub.keyring)).pending;
        if (opts.json) return out({ ...r, pending: left });
        out(`${opts.dryRun ? 'dry run, nothing written: would re-encrypt' : 're-encrypted'} under key ${r.activeKeyId}:`);
        for (const [table, c] of Object.entries(r.tables)) {
          out(`  ${table.padEnd(18)} ${c.rows} rows, ${c.changed} ${opts.dryRun ? 'to rewrite' : 'rewritten'} (${c.values} values, ${c.hashes} phone hashes)`);
        }
        if (left !== null) {
          out(left === 0 ? 'nothing is left under an old key or in plaintext' : `${left} values still need it (written meanwhile by a process with the old key list?): run again`);
        }
      });
    });

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`configuration error: ${e.message}\n`);
      process.exit(2);
    }
    if (isHubError(e)) {
      process.stderr.write(`error ${e.code}: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}
