import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { GENESIS_HASH } from './canonical.js';
import { signerFromPem } from './checkpoint.js';
import { AuditError } from './errors.js';
import { migrateAudit } from './migrate.js';
import { exportLines, verifyExport } from './offline.js';
import { AuditStore } from './store.js';

const USAGE = `usage:
  cli migrate                     apply sql/*.sql (AUDIT_OWNER_DATABASE_URL, takt_audit as its owner)
  cli keygen --out <file.pem>     a new Ed25519 signing key (mode 600); prints the public key
  cli export --tenant <uuid> [--from N] [--to N]
                                  JSON lines of a chain range with its checkpoints (DATABASE_URL)
  cli verify-export --public-key <file.pem> [--in <file>]
                                  offline: recompute the chain and check the signatures (stdin by default);
                                  exit 0 when the export holds, 2 when it does not`;

const need = (v: string | undefined, what: string): string => {
  if (!v) throw new AuditError('TAKT_AUDIT_USAGE', `missing ${what}\n${USAGE}`);
  return v;
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
      'public-key': { type: 'string' },
      in: { type: 'string' },
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
        const fromPosition = Number(values.from ?? 1);
        const toPosition = Number(values.to ?? (await store.lastPosition(tenantId)));
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
      const publicKey = readFileSync(need(values['public-key'], '--public-key'), 'utf8');
      const text = readFileSync(values.in ?? 0, 'utf8');
      const v = await verifyExport(text, publicKey);
      console.log(
        JSON.stringify(
          v.checkpoint
            ? { ...v, checkpoint: { position: v.checkpoint.position, hash: v.checkpoint.hash } }
            : v,
        ),
      );
      return v.ok ? 0 : 2;
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
