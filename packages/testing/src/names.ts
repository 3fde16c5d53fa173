import { randomBytes } from 'node:crypto';

/** A lowercase identifier unique to this test run, safe as a database, topic or slot name. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}
