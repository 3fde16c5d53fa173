import { readdirSync, readFileSync } from 'node:fs';
import type { RawMessage } from '../src/index.js';

interface Recorded {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
}

const dir = new URL('./fixtures/', import.meta.url);

const toRaw = (m: Recorded): RawMessage => ({
  topic: m.topic,
  partition: m.partition,
  offset: m.offset,
  key: m.key === null ? null : Buffer.from(m.key),
  value: m.value === null ? null : Buffer.from(m.value),
});

/** Messages recorded from the real stack by scripts/capture-fixtures.ts, per table file. */
export function fixture(name: string): RawMessage[] {
  return (JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as Recorded[]).map(toRaw);
}

export function allFixtures(): RawMessage[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => fixture(f.replace(/\.json$/, '')));
}
