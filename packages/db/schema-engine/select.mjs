// @ts-check
import { accessSync, chmodSync, constants, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The executable prisma.config.ts points the CLI at when no native engine is installed. */
export const WASM_ENGINE_ENTRY = fileURLToPath(new URL('./main.mjs', import.meta.url));

/**
 * @typedef {{ kind: 'preset', binary: string }
 *   | { kind: 'native', binary: string | undefined }
 *   | { kind: 'wasm', binary: string }} EngineChoice
 */

/**
 * Where the CLI itself looks for `schema-engine-<platform>` (after its env vars): the
 * @prisma/engines package, where its postinstall puts the download, and the prisma package.
 */
function nativeEngineDirs() {
  const dirs = [];
  try {
    dirs.push(dirname(require.resolve('@prisma/engines/package.json', { paths: [prismaDir()] })));
  } catch {
    // No @prisma/engines: nothing native can be installed.
  }
  try {
    dirs.push(prismaDir());
  } catch {
    // Same for the CLI package itself.
  }
  return dirs;
}

function prismaDir() {
  return dirname(require.resolve('prisma/package.json'));
}

/**
 * @param {readonly string[]} dirs
 * @returns {string | undefined}
 */
export function findNativeEngine(dirs = nativeEngineDirs()) {
  for (const dir of dirs) {
    let names;
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      // Downloads land as schema-engine-<target>[.exe]; skip .gz/.sha256 leftovers.
      if (!/^schema-engine-[a-z0-9._-]+$/.test(name) || /\.(gz|sha256|sig)$/.test(name)) continue;
      const path = join(dir, name);
      try {
        accessSync(path, constants.X_OK);
        return path;
      } catch {
        // Not executable: the CLI would reject it too.
      }
    }
  }
  return undefined;
}

/**
 * Decides which schema engine the Prisma CLI runs, and says so through
 * PRISMA_SCHEMA_ENGINE_BINARY, the variable the CLI reads before it would try a download.
 *   - PRISMA_SCHEMA_ENGINE_BINARY already set: kept as it is.
 *   - TAKT_SCHEMA_ENGINE=wasm | native forces one; anything else (or unset) means auto:
 *     the native binary when installed, else the Wasm engine.
 * @param {NodeJS.ProcessEnv} env read and, for the Wasm engine, written
 * @param {{ findNative?: () => string | undefined }} [deps]
 * @returns {EngineChoice}
 */
export function selectSchemaEngine(env, deps = {}) {
  const preset = env.PRISMA_SCHEMA_ENGINE_BINARY || env.PRISMA_MIGRATION_ENGINE_BINARY;
  if (preset) return { kind: 'preset', binary: preset };
  const mode = (env.TAKT_SCHEMA_ENGINE ?? 'auto').toLowerCase();
  if (mode !== 'wasm') {
    const native = (deps.findNative ?? findNativeEngine)();
    if (native || mode === 'native') return { kind: 'native', binary: native };
  }
  ensureExecutable(WASM_ENGINE_ENTRY);
  env.PRISMA_SCHEMA_ENGINE_BINARY = WASM_ENGINE_ENTRY;
  return { kind: 'wasm', binary: WASM_ENGINE_ENTRY };
}

/**
 * The CLI spawns the engine directly, so a checkout that lost the executable bit would fail
 * with a bare EACCES.
 * @param {string} path
 */
function ensureExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    chmodSync(path, 0o755);
  }
}
