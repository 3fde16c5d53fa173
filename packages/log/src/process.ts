interface ShutdownLogger {
  info(obj: object, msg: string): void;
  error(msg: string): void;
}

/**
 * Runs `stop` once on SIGTERM or SIGINT and exits 0 when it is done, or 1 when it takes longer
 * than `timeoutMs`: an orchestrator's kill -9 must never be what ends a drain halfway.
 */
export function stopOnSignals(logger: ShutdownLogger, timeoutMs: number, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    try {
      await stop();
    } catch (err) {
      logger.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    }
    clearTimeout(timer);
    process.exit(0);
  };
  process.on('SIGTERM', () => void onSignal('SIGTERM'));
  process.on('SIGINT', () => void onSignal('SIGINT'));
}

/** Starts a service; a configuration error prints its list of bad variables, not a stack trace. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const isConfigError = (err as { code?: unknown } | null)?.code === 'TAKT_CONFIG_INVALID';
    console.error(isConfigError ? (err as Error).message : err);
    process.exit(1);
  });
}
