import { z } from 'zod';
import { KeyringError } from './errors.js';
import { isValidKeyId, type Keyring, parseKeyring } from './keyring.js';

function keyringProblems(spec: string): readonly string[] {
  try {
    parseKeyring(spec);
    return [];
  } catch (err) {
    if (err instanceof KeyringError) return err.problems;
    throw err;
  }
}

/**
 * The PII key variables. Field rules survive `baseEnv.extend(piiEnv.shape)`, so a bad spec is
 * reported with every other bad variable at start-up; keyringFromEnv applies the cross-field rules.
 */
export const piiEnv = z.object({
  TAKT_PII_KEYS: z
    .string()
    .optional()
    .superRefine((spec, ctx) => {
      if (spec === undefined) return;
      for (const message of keyringProblems(spec)) ctx.addIssue({ code: 'custom', message });
    }),
  TAKT_PII_KEYS_FILE: z.string().min(1).optional(),
  TAKT_PII_ACTIVE_KEY: z
    .string()
    .refine(isValidKeyId, "key id must be 1-32 letters, digits, '_' or '-'")
    .optional(),
  TAKT_PII_INDEX_KEY: z.string().min(1).optional(),
});

export type PiiEnv = z.infer<typeof piiEnv>;

/**
 * Builds the keyring from `TAKT_PII_KEYS` or the file named by `TAKT_PII_KEYS_FILE` (exactly one).
 * File access is injected (`(p) => readFileSync(p, 'utf8')`) so this package needs nothing but node:crypto.
 */
export function keyringFromEnv(env: PiiEnv, readFile?: (path: string) => string): Keyring {
  const { TAKT_PII_KEYS: inline, TAKT_PII_KEYS_FILE: file } = env;
  if (inline !== undefined && file !== undefined) {
    throw new KeyringError(['set TAKT_PII_KEYS or TAKT_PII_KEYS_FILE, not both']);
  }
  let spec = inline;
  if (file !== undefined) {
    if (!readFile) throw new KeyringError(['TAKT_PII_KEYS_FILE is set but no file reader was given']);
    spec = readFile(file);
  }
  if (spec === undefined) throw new KeyringError(['set TAKT_PII_KEYS or TAKT_PII_KEYS_FILE']);
  return parseKeyring(spec, env.TAKT_PII_ACTIVE_KEY, { indexKey: env.TAKT_PII_INDEX_KEY });
}
