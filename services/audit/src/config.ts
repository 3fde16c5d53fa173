import {
  apiKeysDatabaseEnv,
  baseEnv,
  cdcWatchEnv,
  httpEnv,
  kafkaEnv,
  parseEnv,
  postgresEnv,
  z,
} from '@takt/config';

export const auditEnv = baseEnv
  .extend(httpEnv.shape)
  .extend(kafkaEnv.shape)
  .extend(postgresEnv.shape)
  .extend(cdcWatchEnv.shape)
  .extend(apiKeysDatabaseEnv.shape)
  .extend({
    PORT: z.coerce.number().int().min(1).max(65535).default(3003),
    /** takt_audit as takt_audit_writer: the log, the checkpoints, the offsets. */
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
    /** takt_audit as takt_audit_owner: applies sql/*.sql at start. Unset: the DDL is applied by `cli migrate`. */
    AUDIT_OWNER_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    /** The one active Ed25519 private key (PKCS#8 PEM) that signs new checkpoints. */
    AUDIT_SIGNING_KEY_FILE: z.string().min(1),
    /**
     * PEM bundle of every public key whose checkpoints verify (the active one and those it
     * replaced; docs/audit-verification.md). Unset: only the signing key's own public key.
     */
    AUDIT_TRUSTED_KEYS_FILE: z.string().min(1).optional(),
    AUDIT_GROUP_ID: z.string().min(1).default('takt-audit'),
    AUDIT_DLQ_TOPIC: z.string().min(1).default('takt.audit.dlq'),
    AUDIT_CHECKPOINT_EVERY_EVENTS: z.coerce.number().int().positive().default(1_000),
    AUDIT_CHECKPOINT_EVERY_MS: z.coerce.number().int().positive().default(60_000),
    /** Messages per append transaction: bigger is faster, smaller holds the chain-head lock shorter. */
    AUDIT_CHUNK_MESSAGES: z.coerce.number().int().positive().max(10_000).default(1_000),
    /** A killed instance holds its partitions this long before the group hands them on (broker minimum 6 s). */
    AUDIT_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).default(30_000),
    /**
     * Fault injection for the crash tests only: `kill-before-commit:<n>` or `kill-after-commit:<n>`
     * SIGKILLs the process around the COMMIT of its n-th append transaction.
     */
    AUDIT_FAULT: z
      .string()
      .regex(/^kill-(before|after)-commit:\d+$/)
      .optional(),
  });

export type AuditConfig = z.infer<typeof auditEnv>;

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): AuditConfig => parseEnv(auditEnv, env);
