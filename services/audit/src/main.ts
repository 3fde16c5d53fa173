import { ConfigError } from '@takt/config';
import { createLogger } from '@takt/log';
import { loadConfig } from './config.js';
import { startAuditService } from './service.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ service: 'audit', level: config.LOG_LEVEL });
  const service = await startAuditService(config, logger);
  await service.app.listen({ host: config.HOST, port: config.PORT });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    await service.stop();
    clearTimeout(timer);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
