import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { GENESIS_HASH } from './canonical.js';
import { signerFromPem, TrustedKeys } from './checkpoint.js';
import { AuditError } from './errors.js';
import { migrateAudit } from './migrate.js';
import { exportLines, verifyExport } from './offline.js';
import { AuditStore } from './store.js';
import { verdictView } from './verify.js';

const USAGE = `usage:
  cli migrate                     apply sql/*.sql (AUDIT_OWNER_DATABASE_URL, takt_audit as its owner)
  cli keygen --out <file.pem>     a new Ed25519 signing key (mode 600); prints the public key
  cli export --tenant <uuid> [--from N] [--to N]
                                  JSON lines of a chain range with its checkpoints (DATABASE_URL)
  cli verify-export --public-key <file.pem> [--public-key <file.pem> …] [--in <file>]
                                  offline: recompute the chain and check every checkpoint against the
                                  trusted public keys given (a file may hold several); stdin by default.
                                  Exit 0 when every position is covered by a trusted checkpoint, 2 when
                                  the export does not hold, 3 when it holds but its tail is unsigned
  cli trust --key <signing.pem> --trusted <keys.pem>
                                  append the signing key's public key to a trusted-keys bundle
                                  (created if missing; nothing happens when the key is there already)`;

const need = (v: string | undefined, what: string): string => {
  if (!v) throw new AuditError('TAKT_AUDIT_USAGE', `missing ${what}\n${USAGE}`);
  return v;
};

const position = (v: string, what: string): number => {
  if (!/^\d+$/.test(v) || (what === '--from' && v === '0'))
    throw new AuditError(
      'TAKT_AUDIT_USAGE',
      `${what} must be a position (an integer${what === '--from' ? ' ≥ 1' : ''})`,
    );
  return Number(v);
};

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      out: { type: 'string' },
      tenant: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'public-key': { type: 'string', multiple: true },
      in: { type: 'string' },
      key: { type: 'string' },
      trusted: { type: 'string' },
    },
  });
  switch (command) {
    case 'migrate': {
      const files = await migrateAudit(
        need(process.env.AUDIT_OWNER_DATABASE_URL, 'AUDIT_OWNER_DATABASE_URL'),
      );
      console.log(`applied ${files.join(', ')}`);
      return 0;
    }
    case 'keygen': {
      const { privateKey } = generateKeyPairSync('ed25519');
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      writeFileSync(need(values.out, '--out'), pem, { mode: 0o600, flag: 'wx' });
      process.stdout.write(signerFromPem(pem).publicKeyPem);
      return 0;
    }
    case 'export': {
      const tenantId = need(values.tenant, '--tenant');
      const pool = new pg.Pool({ connectionString: need(process.env.DATABASE_URL, 'DATABASE_URL'), max: 2 });
      try {
        // Reading needs no key: a throwaway signer satisfies the store's constructor.
        const throwaway = generateKeyPairSync('ed25519')
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString();
        const store = new AuditStore(pool, signerFromPem(throwaway), { everyEvents: 1, everyMs: 1 });
        const fromPosition = position(values.from ?? '1', '--from');
        // Through a checkpoint past the last event too: a truncated log then shows as a gap.
        const toPosition = values.to ? position(values.to, '--to') : await store.endPosition(tenantId);
        const prevHash = (await store.hashAt(tenantId, fromPosition - 1)) ?? GENESIS_HASH;
        const events = [];
        for await (const page of store.range(tenantId, fromPosition, toPosition)) events.push(...page);
        const checkpoints = await store.checkpoints(tenantId, fromPosition, toPosition);
        const lines = exportLines({ tenantId, fromPosition, toPosition, prevHash }, events, checkpoints);
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        await pool.end();
      }
      return 0;
    }
    case 'verify-export': {
      const files = values['public-key'] ?? [];
      if (files.length === 0) need(undefined, '--public-key');
      const trusted = TrustedKeys.fromPem(...files.map((f) => readFileSync(f, 'utf8')));
      if (trusted.size === 0)
        throw new AuditError('TAKT_AUDIT_USAGE', 'no public key in the --public-key files');
      const v = verifyExport(readFileSync(values.in ?? 0, 'utf8'), trusted);
      console.log(JSON.stringify({ tenantId: v.tenantId, ...verdictView(v) }));
      return v.ok ? 0 : v.status === 'failed' ? 2 : 3;
    }
    case 'trust': {
      const { publicKeyPem } = signerFromPem(readFileSync(need(values.key, '--key'), 'utf8'));
      const file = need(values.trusted, '--trusted');
      const bundle = existsSync(file) ? readFileSync(file, 'utf8') : '';
      if (!TrustedKeys.fromPem(bundle).lookup(publicKeyPem))
        appendFileSync(file, `${bundle === '' || bundle.endsWith('\n') ? '' : '\n'}${publicKeyPem}`, {
          mode: 0o644,
        });
      return 0;
    }
    default:
      console.error(USAGE);
      return command === undefined || command === 'help' ? 0 : 1;
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
