import { createHttpApp, type Registry, type TaktApp } from '@takt/http';
import type { Logger } from '@takt/log';

/** /healthz, /readyz and /metrics: the projector has no API of its own, and no keys to check. */
export async function buildApp(deps: {
  logger: Logger;
  metrics: Registry;
  /** The stages, and the CDC source when watched (docs/cdc-health.md). */
  readiness: Record<string, () => Promise<void>>;
}): Promise<TaktApp> {
  return createHttpApp({
    service: 'projector',
    logger: deps.logger,
    metrics: deps.metrics,
    resolveKey: async () => null,
    readiness: deps.readiness,
  });
}
