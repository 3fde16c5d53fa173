import type { TaktApp } from '@takt/http';
import type { QueryDeps } from '../context.js';
import { freshness } from '../freshness.js';
import { freshnessBody } from './schemas.js';

export function registerFreshnessRoutes(app: TaktApp, deps: QueryDeps): void {
  app.get(
    '/v1/freshness',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'How far the analytics trail the source of truth',
        response: { 200: freshnessBody },
      },
    },
    // The projector's progress is the same for every tenant: one pipeline serves them all.
    async () => freshness(deps.clickhouse, deps.lagProbe, deps.clock(), deps.cdc?.health),
  );
}
