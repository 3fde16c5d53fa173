-- Each checkpoint names the one before it (0 for a chain's first), inside the signed bytes, so
-- a deleted checkpoint row breaks the link the next one signs. NULL on checkpoints written
-- before the link existed; their signatures cover the four original fields only.
-- See docs/audit-verification.md.
ALTER TABLE audit_checkpoint ADD COLUMN IF NOT EXISTS prev_position bigint
  CHECK (prev_position >= 0 AND prev_position < position);
