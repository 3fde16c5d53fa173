import { defineConfig } from 'prisma/config';
import { selectSchemaEngine } from './packages/db/schema-engine/select.mjs';

// Must run before the CLI resolves its schema engine: without a native binary it would try to
// download one, which fails on a network that only reaches package registries.
selectSchemaEngine(process.env);

const shadowDatabaseUrl = process.env.SHADOW_DATABASE_URL;

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.DATABASE_URL ?? 'postgresql://takt_owner@127.0.0.1:5432/takt',
    ...(shadowDatabaseUrl ? { shadowDatabaseUrl } : {}),
  },
});
