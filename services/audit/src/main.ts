import { createLogger, runMain, stopOnSignals } from '@takt/log';
import { loadConfig } from './config.js';
import { startAuditService } from './service.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ service: 'audit', level: config.LOG_LEVEL });
  const service = await startAuditService(config, logger);
  await service.app.listen({ host: config.HOST, port: config.PORT });

  stopOnSignals(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await service.stop();
  });
}

runMain(main);
