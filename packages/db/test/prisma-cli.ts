import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const prismaCli = join(dirname(require.resolve('prisma/package.json')), 'build', 'index.js');

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs the real Prisma CLI from the repo root, as `pnpm exec prisma` would, against `url`.
 * The schema engine is whatever prisma.config.ts selects (the Wasm adapter on this network).
 */
export function prisma(args: string[], url: string, env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: '1', ...env };
  // A shadow url from the caller's shell would make runs share one shadow database.
  if (!('SHADOW_DATABASE_URL' in env)) delete childEnv.SHADOW_DATABASE_URL;
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [prismaCli, ...args],
      { cwd: repoRoot, env: childEnv, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) });
      },
    );
  });
}

/** Says what the CLI printed when an expectation on its exit code fails. */
export function describeRun(run: CliRun): string {
  return `exit ${run.code} after ${run.ms} ms\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}
