-- The audit log (docs/audit-verification.md). Applied by takt_audit_owner at start-up (or `pnpm cli migrate`);
-- every statement is idempotent. The service itself runs as takt_audit_writer.

-- One chain per tenant. position is the tenant's chain position (1, 2, …, no gaps); version
-- counts the events of one entity stream (1, 2, …, no gaps).
CREATE TABLE IF NOT EXISTS audit_event (
  tenant_id        uuid        NOT NULL,
  position         bigint      NOT NULL CHECK (position > 0),
  entity_type      text        NOT NULL,
  entity_id        text        NOT NULL,
  version          bigint      NOT NULL CHECK (version > 0),
  op               text        NOT NULL CHECK (op IN ('create', 'update', 'delete', 'snapshot')),
  before           jsonb,
  after            jsonb,
  -- pg_lsn would do, but numeric keeps the u64 the hash covers without conversions.
  lsn              numeric(20, 0) NOT NULL,
  tx_id            bigint      NOT NULL,
  committed_at     timestamptz(3) NOT NULL,
  changed_by       uuid,
  request_id       text,
  prev_hash        char(64)    NOT NULL,
  hash             char(64)    NOT NULL,
  -- Where the event came from: not hashed, for operators tracing a row back to Kafka.
  source_topic     text        NOT NULL,
  source_partition integer     NOT NULL,
  source_offset    bigint      NOT NULL,
  appended_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, position),
  UNIQUE (tenant_id, entity_type, entity_id, version)
);

-- Signed (position, hash) of a tenant's chain; see src/checkpoint.ts for the signed bytes.
CREATE TABLE IF NOT EXISTS audit_checkpoint (
  tenant_id  uuid        NOT NULL,
  position   bigint      NOT NULL,
  hash       char(64)    NOT NULL,
  signature  text        NOT NULL,
  public_key text        NOT NULL,
  signed_at  timestamptz(3) NOT NULL,
  PRIMARY KEY (tenant_id, position)
);

-- The head of each chain: the row every append locks (one row lock per tenant per
-- transaction), so instances consuming different partitions keep one sequence per tenant.
-- Derived data: verification never trusts it, it only makes the next append O(1).
CREATE TABLE IF NOT EXISTS audit_chain_head (
  tenant_id           uuid     PRIMARY KEY,
  position            bigint   NOT NULL,
  hash                char(64) NOT NULL,
  checkpoint_position bigint   NOT NULL DEFAULT 0,
  checkpoint_at       timestamptz NOT NULL DEFAULT now()
);

-- Kafka offsets, written in the same transaction as the events they produced: the next
-- offset to apply per (consumer group, topic, partition).
CREATE TABLE IF NOT EXISTS audit_consumer_offset (
  group_id    text    NOT NULL,
  topic       text    NOT NULL,
  partition   integer NOT NULL,
  next_offset bigint  NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition)
);

-- Immutability. A trigger, not only grants: grants do not bind the owner, a trigger does
-- (short of a superuser disabling it, which verification then exposes).
CREATE OR REPLACE FUNCTION audit_reject_change() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit log is append-only: % on % rejected', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['audit_event', 'audit_checkpoint'] LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS audit_append_only ON %I', t);
    EXECUTE format('CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON %I '
      'FOR EACH ROW EXECUTE FUNCTION audit_reject_change()', t);
    EXECUTE format('DROP TRIGGER IF EXISTS audit_no_truncate ON %I', t);
    EXECUTE format('CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON %I '
      'FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change()', t);
  END LOOP;
END $$;

CREATE INDEX IF NOT EXISTS audit_checkpoint_latest ON audit_checkpoint (tenant_id, position DESC);

REVOKE ALL ON audit_event, audit_checkpoint, audit_chain_head, audit_consumer_offset FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO takt_audit_writer;
GRANT SELECT, INSERT ON audit_event, audit_checkpoint TO takt_audit_writer;
GRANT SELECT, INSERT, UPDATE ON audit_chain_head, audit_consumer_offset TO takt_audit_writer;
