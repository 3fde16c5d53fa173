-- Every change to an API key is announced on the channel `takt_api_key` with the key's id, so
-- the services drop that key from their short authentication cache at once (docs/api-keys.md).
-- NOTIFY is delivered when the changing transaction commits, and never if it rolls back.
CREATE FUNCTION takt_api_key_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    -- TRUNCATE names no row: '*' tells the listeners to forget every key.
    PERFORM pg_notify('takt_api_key', '*');
  ELSE
    PERFORM pg_notify('takt_api_key', COALESCE(NEW.id, OLD.id)::text);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER api_key_notify AFTER INSERT OR UPDATE OR DELETE ON api_key
  FOR EACH ROW EXECUTE FUNCTION takt_api_key_notify();
CREATE TRIGGER api_key_notify_truncate AFTER TRUNCATE ON api_key
  FOR EACH STATEMENT EXECUTE FUNCTION takt_api_key_notify();
