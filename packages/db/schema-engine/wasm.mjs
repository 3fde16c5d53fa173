// @ts-check
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';

const require = createRequire(import.meta.url);

/**
 * The parts of the WebAssembly global used here (@types/node 20 does not declare it).
 * @typedef {{ module: string, name: string, kind: string }} ModuleImport
 * @typedef {{
 *   Module: { new (bytes: Uint8Array): object, imports(mod: object): ModuleImport[] },
 *   Instance: new (mod: object, imports: object) => { exports: object },
 * }} WasmApi
 */
const Wasm = /** @type {WasmApi} */ (Reflect.get(globalThis, 'WebAssembly'));

/** @typedef {typeof import('@prisma/schema-engine-wasm')} SchemaEngineModule */

/**
 * The glue calls `global.PRISMA_WASM_PANIC_REGISTRY.set_message` from the Rust panic hook;
 * without the registry a panic would surface as a TypeError instead of its message.
 */
const panicRegistry = {
  message: '',
  /** @param {string} m */
  set_message(m) {
    this.message = m;
  },
};

/** The last Rust panic message, if the engine panicked. */
export function lastPanicMessage() {
  return panicRegistry.message || undefined;
}

/**
 * Candidate .wasm files, best first. The prisma CLI package ships the engine build it was
 * released with (prisma 7.10.1: 8.1.0-1.d1b3f377…), while @prisma/schema-engine-wasm on the
 * registry only has neighbouring builds; the CLI's own copy wins when the glue can drive it.
 * @param {NodeJS.ProcessEnv} env
 */
function candidates(env) {
  if (env.TAKT_SCHEMA_ENGINE_WASM)
    return [{ path: env.TAKT_SCHEMA_ENGINE_WASM, source: 'TAKT_SCHEMA_ENGINE_WASM' }];
  const out = [];
  try {
    out.push({
      path: join(dirname(require.resolve('prisma/package.json')), 'build', 'schema_engine_bg.wasm'),
      source: 'prisma',
    });
  } catch {
    // prisma not installed next to this package: only the published engine is left.
  }
  out.push({
    path: require.resolve('@prisma/schema-engine-wasm/schema_engine_bg').replace(/\.js$/, '.wasm'),
    source: '@prisma/schema-engine-wasm',
  });
  return out;
}

/**
 * wasm-bindgen glue and module must agree on every import; a mismatch only shows up later as
 * a LinkError or, worse, as a call into the wrong function.
 * @param {object} mod
 */
function glueCanDrive(mod) {
  const exported = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (glue));
  return Wasm.Module.imports(mod).every(
    (i) => i.module === './schema_engine_bg.js' && typeof exported[i.name] === 'function',
  );
}

/** @type {{ engine: SchemaEngineModule, wasmPath: string, source: string } | undefined} */
let loaded;

/**
 * Instantiates the engine once per process. The package's own entry point imports the .wasm
 * as an ES module, which Node 20 only allows behind --experimental-wasm-modules, so the module
 * is compiled here and handed to the glue.
 * @param {NodeJS.ProcessEnv} [env]
 */
export function loadSchemaEngine(env = process.env) {
  if (loaded) return loaded;
  /** @type {Record<string, unknown>} */ (globalThis).PRISMA_WASM_PANIC_REGISTRY = panicRegistry;
  const tried = [];
  for (const c of candidates(env)) {
    if (!existsSync(c.path)) {
      tried.push(`${c.path} (missing)`);
      continue;
    }
    const mod = new Wasm.Module(readFileSync(c.path));
    if (!glueCanDrive(mod)) {
      tried.push(`${c.path} (imports differ from the @prisma/schema-engine-wasm glue)`);
      continue;
    }
    const instance = new Wasm.Instance(mod, { './schema_engine_bg.js': glue });
    const exports = /** @type {Record<string, unknown> & { __wbindgen_start(): void }} */ (instance.exports);
    glue.__wbg_set_wasm(exports);
    exports.__wbindgen_start();
    loaded = {
      engine: /** @type {SchemaEngineModule} */ (/** @type {unknown} */ (glue)),
      wasmPath: c.path,
      source: c.source,
    };
    return loaded;
  }
  throw new Error(`no usable schema engine .wasm: ${tried.join('; ')}`);
}
