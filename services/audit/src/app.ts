import { Readable } from 'node:stream';
import {
  createHttpApp,
  fieldError,
  type HttpLimitsInput,
  type KeyResolver,
  notFound,
  principalOf,
  type Registry,
  type TaktApp,
} from '@takt/http';
import type { Logger } from '@takt/log';
import { z } from 'zod';
import type { TrustedKeys } from './checkpoint.js';
import type { AuditEvent, EntityType } from './event.js';
import type { AuditStore } from './store.js';
import { verdictView, verifyRange } from './verify.js';

export interface AuditAppOptions {
  store: AuditStore;
  resolveKey: KeyResolver;
  logger: Logger;
  metrics: Registry;
  publicKeyPem: string;
  /** The public keys whose checkpoints verify; from the service's configuration, never from the data. */
  trusted: TrustedKeys;
  readiness: Record<string, () => Promise<void>>;
  /** The HTTP frame's size limits, rate limits and load shedding. */
  http?: HttpLimitsInput;
}

const ENTITY_TYPE_VALUES = [
  'equipment',
  'production',
  'state',
  'shift',
  'maintenance',
  'product',
  'line',
  'site',
  'downtime_reason',
  'ingest_batch',
] as const satisfies readonly EntityType[];

const limit = z.coerce.number().int().min(1).max(10_000).default(1_000);
const from = z.coerce.number().int().min(1).default(1);

/** The API's view of an event: the stored one, field for field (the hash covers exactly these). */
const view = (e: AuditEvent) => ({
  position: e.position,
  entityType: e.entityType,
  entityId: e.entityId,
  version: e.version,
  op: e.op,
  before: e.before,
  after: e.after,
  lsn: e.lsn,
  txId: e.txId,
  committedAt: e.committedAt,
  changedBy: e.changedBy,
  requestId: e.requestId,
  prevHash: e.prevHash,
  hash: e.hash,
});

export async function buildApp(opts: AuditAppOptions): Promise<TaktApp> {
  const { store } = opts;
  const app = await createHttpApp({
    service: 'audit',
    logger: opts.logger,
    metrics: opts.metrics,
    resolveKey: opts.resolveKey,
    readiness: opts.readiness,
    ...(opts.http ? { limits: opts.http } : {}),
  });

  app.get(
    '/v1/audit/streams/:entityType/:entityId',
    {
      config: { scope: 'audit' },
      schema: {
        summary: "Replay one entity's stream from a version",
        params: z.object({
          entityType: z.enum(ENTITY_TYPE_VALUES),
          // A code of master data or a row id (UUID): both have this shape, and nothing else (a NUL,
          // a lone surrogate) may reach PostgreSQL as a 500.
          entityId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must match [A-Za-z0-9._-]{1,64}'),
        }),
        querystring: z.object({ fromVersion: from, limit }),
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      const { entityType, entityId } = request.params;
      const { fromVersion, limit: n } = request.query;
      const events = await store.stream(tenantId, entityType, entityId, fromVersion, n);
      if (events.length === 0 && (await store.stream(tenantId, entityType, entityId, 1, 1)).length === 0) {
        throw notFound(`no ${entityType} "${entityId}" in the audit log`);
      }
      const last = events.at(-1);
      return { events: events.map(view), nextVersion: last ? last.version + 1 : fromVersion };
    },
  );

  app.get(
    '/v1/audit/events',
    {
      config: { scope: 'audit' },
      schema: {
        summary: "Replay the tenant's chain from a position",
        querystring: z.object({ fromPosition: from, limit }),
      },
    },
    async (request, reply) => {
      const { tenantId } = principalOf(request);
      const { fromPosition, limit: n } = request.query;
      // Streamed page by page: 10,000 events with their images is megabytes, never held whole.
      async function* body(): AsyncGenerator<string> {
        yield '{"events":[';
        let next = fromPosition;
        let first = true;
        for await (const page of store.range(tenantId, fromPosition, fromPosition + n - 1, 1_000)) {
          const parts = page.map((e) => JSON.stringify(view(e)));
          yield (first ? '' : ',') + parts.join(',');
          first = false;
          next = page.at(-1)!.position + 1;
        }
        yield `],"nextPosition":${next}}`;
      }
      return reply.type('application/json').send(Readable.from(body()));
    },
  );

  app.get(
    '/v1/audit/verify',
    {
      config: { scope: 'audit' },
      schema: {
        summary: 'Verify a range of the chain against signed checkpoints of trusted keys',
        description:
          'ok is true only when every position of the range is covered by a trusted checkpoint; ' +
          'positions after the last one are reported as unverified. A toPosition past the end of ' +
          'the chain is clipped to it, and the range actually verified is echoed.',
        querystring: z.object({
          fromPosition: from,
          toPosition: z.coerce.number().int().min(1).optional(),
        }),
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      const { fromPosition, toPosition: requested } = request.query;
      if (requested !== undefined && requested < fromPosition)
        throw fieldError('/query/toPosition', 'toPosition must not be below fromPosition');
      const end = await store.endPosition(tenantId);
      if (fromPosition > Math.max(end, 1))
        throw fieldError(
          '/query/fromPosition',
          `fromPosition is past the end of the chain (position ${end})`,
        );
      const toPosition = Math.min(requested ?? end, end);
      const verdict = await verifyRange({
        tenantId,
        fromPosition,
        toPosition,
        prevHash: await store.hashAt(tenantId, fromPosition - 1),
        pages: store.range(tenantId, fromPosition, toPosition),
        checkpoints: await store.checkpoints(tenantId, fromPosition, toPosition),
        trusted: opts.trusted,
      });
      return verdictView(verdict, end);
    },
  );

  app.get(
    '/v1/audit/checkpoints/latest',
    { config: { scope: 'audit' }, schema: { summary: "The latest signed checkpoint of the tenant's chain" } },
    async (request) => {
      const { tenantId } = principalOf(request);
      const c = await store.latestCheckpoint(tenantId);
      if (!c) throw notFound('no checkpoint yet');
      return {
        position: c.position,
        hash: c.hash,
        signature: c.signature,
        publicKey: c.publicKey,
        signedAt: c.signedAt,
        // Part of the signed bytes (docs/audit-verification.md); absent on checkpoints older than it.
        ...(c.prevPosition !== undefined ? { prevPosition: c.prevPosition } : {}),
      };
    },
  );

  app.get(
    '/v1/audit/public-key',
    { schema: { summary: 'The Ed25519 public key that signs checkpoints (SPKI PEM)' } },
    async (_request, reply) => reply.type('application/x-pem-file').send(opts.publicKeyPem),
  );

  return app;
}
