import type { ClickHouse } from '@takt/clickhouse';
import type { TimeRangePolicy } from '@takt/domain';
import type { CdcWatcher } from '@takt/pipeline';
import type { FragmentCache } from './fragments.js';
import type { LagProbe } from './freshness.js';
import type { OeeFragment } from './oee.js';
import type { PlantSource } from './plant.js';

export type Clock = () => number;

export interface QueryDeps {
  readonly clickhouse: ClickHouse;
  readonly plants: PlantSource;
  readonly clock: Clock;
  /** The accepted time range of `from`/`to` (docs/time-range.md). */
  readonly timeRange: TimeRangePolicy;
  /** Serialized answers of identical requests within a short time, shared between callers. */
  readonly answers: (key: string, compute: () => Promise<string>) => Promise<string>;
  readonly lagProbe: LagProbe | undefined;
  /** The CDC source's health for /v1/freshness; absent where CDC_WATCH is off. */
  readonly cdc: CdcWatcher | undefined;
  /** Calendar buckets of earlier OEE answers, kept while the projector's write announcements arrive. */
  readonly fragments: FragmentCache<OeeFragment> | undefined;
}
