-- The kbtui store in a PostgreSQL database (design 17 §2). Loaded once per database by a superuser
-- (kbtui.store.postgres.admin.install). Roles: kbtui_owner (NOLOGIN) owns every table and function;
-- kbtui_app (NOLOGIN) holds what the application may do; the login roles the application connects as
-- (one per town, one for the district bureau) are members of kbtui_app, their towns in kbtui.login_scope.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kbtui_owner') THEN CREATE ROLE kbtui_owner NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kbtui_app') THEN CREATE ROLE kbtui_app NOLOGIN; END IF;
END $$;
CREATE SCHEMA kbtui AUTHORIZATION kbtui_owner;
CREATE SCHEMA kbtui_private AUTHORIZATION kbtui_owner;      -- the journal key: no grant to anyone
ALTER DEFAULT PRIVILEGES FOR ROLE kbtui_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
SET ROLE kbtui_owner;

-- who sees what is decided by the database from the login role, not by the application
CREATE TABLE kbtui.login_scope (
  role   name PRIMARY KEY,
  towns  text[]                                -- NULL: the whole district
);
CREATE FUNCTION kbtui.my_towns() RETURNS text[] LANGUAGE sql STABLE SECURITY DEFINER SET search_path = kbtui AS
$$ SELECT CASE WHEN s.role IS NULL THEN ARRAY[]::text[] ELSE s.towns END
     FROM (SELECT 1) one LEFT JOIN kbtui.login_scope s ON s.role = session_user $$;
-- the application narrows further per transaction (a town admin working through the bureau's login, village and
-- school roles inside a town), never wider
CREATE FUNCTION kbtui.setting_list(name text) RETURNS text[] LANGUAGE sql STABLE AS
$$ SELECT CASE WHEN coalesce(current_setting(name, true), '') = '' THEN NULL
               ELSE string_to_array(current_setting(name, true), E'\x1f') END $$;
CREATE FUNCTION kbtui.may_see_town(t text) RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT (SELECT kbtui.my_towns()) IS NULL OR t = ANY (coalesce((SELECT kbtui.my_towns()), '{}')) $$;

CREATE TABLE kbtui.meta (key text PRIMARY KEY, value json NOT NULL);     -- schema version, profile, towns
INSERT INTO kbtui.meta VALUES ('schema', '1');

CREATE TABLE kbtui.children (
  id_number text PRIMARY KEY,                 -- one record per child in the whole district
  town      text NOT NULL DEFAULT '',
  village   text NOT NULL DEFAULT '',
  grp       text NOT NULL DEFAULT '',
  school    text NOT NULL DEFAULT '',
  teacher   text NOT NULL DEFAULT '',         -- responsible_edu: the school scope's second half
  name      text NOT NULL DEFAULT '',
  status    text NOT NULL DEFAULT '',
  v         integer NOT NULL,                 -- = doc's _v
  seq       bigint NOT NULL,                  -- seq in the town's chain of the last change (incremental refresh)
  born_tx   text,                             -- the bulk write that inserted it (its records in journal_bulk)
  doc       json NOT NULL                     -- orjson sorted-key text, byte for byte: record_digest = blake2b(doc::text)
);
CREATE INDEX children_town_village ON kbtui.children (town, village);
CREATE INDEX children_town_seq ON kbtui.children (town, seq);

-- the town of children stored anywhere, seen or not: an import must tell a child registered in another town
-- (a conflict reported to the bureau) from a new one; the town only, nothing else of the record
CREATE FUNCTION kbtui.registered_towns(ids text[]) RETURNS TABLE (id_number text, town text) LANGUAGE sql STABLE
  SECURITY DEFINER SET search_path = kbtui AS
$$ SELECT c.id_number, c.town FROM kbtui.children c WHERE c.id_number = ANY (ids) $$;

CREATE TABLE kbtui.collections (
  town  text NOT NULL DEFAULT '',             -- '' : district level; keys are unique within a town
  name  text NOT NULL,
  key   text NOT NULL,
  child text,                                 -- the id_number the document is about, if any
  v     integer NOT NULL,
  doc   json NOT NULL,
  PRIMARY KEY (town, name, key)
);
CREATE INDEX collections_child ON kbtui.collections (child) WHERE child IS NOT NULL;
CREATE INDEX collections_name_key ON kbtui.collections (name, key);   -- a key read across towns (a child's town)

CREATE TABLE kbtui.journal (
  id       bigserial UNIQUE,                  -- the order lines were appended in, across chains
  chain    text NOT NULL DEFAULT '',          -- a town, or '' (the district / a township's one chain)
  seq      bigint NOT NULL,
  prev     text NOT NULL,
  hash     text NOT NULL,
  mac      text NOT NULL DEFAULT '',          -- set by the trigger: the application never holds the key
  tx       text,
  ts       text NOT NULL,
  operator text NOT NULL,
  action   text NOT NULL,
  record   text,
  coll     text,                              -- the collection of a collection document's entry
  body     text NOT NULL,                     -- the serialised entry exactly as hashed (journal.serialise_entry)
  PRIMARY KEY (chain, seq),
  UNIQUE (chain, prev),
  UNIQUE (chain, hash)                        -- (two townships' chains may begin with the same line)
);
CREATE INDEX journal_record ON kbtui.journal (record) WHERE record IS NOT NULL;
CREATE INDEX journal_operator ON kbtui.journal (operator);
-- a bulk write's records: 1,000 a row, sorted by ID number, as JSON lines (the journal row holds their digest)
CREATE TABLE kbtui.journal_bulk (
  chain    text NOT NULL,
  tx       text NOT NULL,
  n        integer NOT NULL,
  first_id text NOT NULL,
  last_id  text NOT NULL,
  records  text COMPRESSION lz4 NOT NULL,
  PRIMARY KEY (tx, n)
);
CREATE INDEX journal_bulk_find ON kbtui.journal_bulk (first_id, last_id);

CREATE TABLE kbtui.journal_head (
  chain text PRIMARY KEY,
  seq   bigint NOT NULL,
  hash  text NOT NULL,
  mac   text NOT NULL
);
-- HMAC-SHA256 of kind || 0x00 || message, as store.signing.sign computes it
CREATE FUNCTION kbtui_private.sign(k bytea, kind text, message text) RETURNS text LANGUAGE sql IMMUTABLE
  SET search_path = public AS
$$ SELECT encode(hmac(convert_to(kind, 'UTF8') || '\x00'::bytea || convert_to(message, 'UTF8'), k, 'sha256'), 'hex') $$;
CREATE TABLE kbtui_private.journal_key (id integer PRIMARY KEY CHECK (id = 1), key bytea NOT NULL);
INSERT INTO kbtui_private.journal_key VALUES (1, gen_random_bytes(32));
CREATE FUNCTION kbtui_private.head_mac(c text, s bigint, h text) RETURNS text LANGUAGE sql STABLE AS
$$ SELECT kbtui_private.sign((SELECT key FROM kbtui_private.journal_key), 'head', c || ':' || s || ':' || h) $$;

-- a chain starts with its first write; only a role that may write the town can start its chain
CREATE FUNCTION kbtui.chain_start(c text) RETURNS void LANGUAGE sql SECURITY DEFINER
  SET search_path = kbtui, kbtui_private, public AS
$$ INSERT INTO kbtui.journal_head SELECT c, 0, '', kbtui_private.head_mac(c, 0, '')
    WHERE kbtui.my_towns() IS NULL OR c = ANY (kbtui.my_towns()) ON CONFLICT DO NOTHING $$;
-- the head lock: every journaled write takes it last, just before its INSERT INTO journal
CREATE FUNCTION kbtui.journal_lock(c text, OUT seq bigint, OUT hash text) LANGUAGE sql SECURITY DEFINER
  SET search_path = kbtui AS
$$ SELECT seq, hash FROM kbtui.journal_head
    WHERE chain = c AND (kbtui.my_towns() IS NULL OR c = ANY (kbtui.my_towns())) FOR UPDATE $$;

-- every line appended: it must follow the head, its hash must be sha256(body); signed with the key here
CREATE FUNCTION kbtui.journal_before_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = kbtui, kbtui_private, public AS $$
DECLARE h record; k bytea;
BEGIN
  SELECT * INTO h FROM kbtui.journal_head WHERE chain = NEW.chain FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'journal chain % has no head', NEW.chain USING ERRCODE = 'KB001'; END IF;
  IF NEW.seq <> h.seq + 1 OR NEW.prev <> h.hash THEN
    RAISE EXCEPTION 'journal fork: seq % prev % does not follow head % %', NEW.seq, NEW.prev, h.seq, h.hash
      USING ERRCODE = 'KB002';
  END IF;
  IF NEW.hash <> encode(sha256(convert_to(NEW.body, 'UTF8')), 'hex') THEN
    RAISE EXCEPTION 'journal line %: hash does not match its body', NEW.seq USING ERRCODE = 'KB003';
  END IF;
  SELECT key INTO k FROM kbtui_private.journal_key WHERE id = 1;
  NEW.mac := kbtui_private.sign(k, 'line', NEW.hash);
  UPDATE kbtui.journal_head SET seq = NEW.seq, hash = NEW.hash, mac = kbtui_private.head_mac(NEW.chain, NEW.seq, NEW.hash)
   WHERE chain = NEW.chain;
  RETURN NEW;
END $$;
CREATE TRIGGER journal_chain BEFORE INSERT ON kbtui.journal FOR EACH ROW EXECUTE FUNCTION kbtui.journal_before_insert();

-- signatures checked for whoever verifies, without handing out the key
CREATE FUNCTION kbtui.journal_bad_macs(c text) RETURNS SETOF bigint LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = kbtui, kbtui_private, public AS
$$ SELECT j.seq FROM kbtui.journal j, kbtui_private.journal_key k
    WHERE j.chain = c AND (kbtui.my_towns() IS NULL OR c = '' OR c = ANY (kbtui.my_towns()))
      AND j.mac <> kbtui_private.sign(k.key, 'line', j.hash) ORDER BY j.seq LIMIT 10 $$;
CREATE FUNCTION kbtui.journal_head_ok(c text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = kbtui, kbtui_private, public AS
$$ SELECT h.mac = kbtui_private.head_mac(h.chain, h.seq, h.hash) FROM kbtui.journal_head h WHERE h.chain = c $$;

-- LISTEN kbtui: the payload is the chain and its new seq only (NOTIFY is not filtered by row-level security)
CREATE FUNCTION kbtui.notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('kbtui', NEW.chain || ':' || NEW.seq); RETURN NULL; END $$;
CREATE TRIGGER journal_notify AFTER INSERT ON kbtui.journal FOR EACH ROW EXECUTE FUNCTION kbtui.notify_change();

-- row-level security: the town from the login role (hard), village/school from the transaction (narrowing)
ALTER TABLE kbtui.children ENABLE ROW LEVEL SECURITY;
ALTER TABLE kbtui.collections ENABLE ROW LEVEL SECURITY;
ALTER TABLE kbtui.journal ENABLE ROW LEVEL SECURITY;
ALTER TABLE kbtui.journal_bulk ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope ON kbtui.children USING (
      kbtui.may_see_town(town)
  AND ((SELECT kbtui.setting_list('kbtui.towns')) IS NULL
       OR town = ANY (coalesce((SELECT kbtui.setting_list('kbtui.towns')), '{}')))
  AND ((SELECT kbtui.setting_list('kbtui.villages')) IS NULL
       OR village = ANY (coalesce((SELECT kbtui.setting_list('kbtui.villages')), '{}')))
  AND ((SELECT kbtui.setting_list('kbtui.schools')) IS NULL
       OR school = ANY (coalesce((SELECT kbtui.setting_list('kbtui.schools')), '{}'))
       OR teacher = ANY (coalesce((SELECT kbtui.setting_list('kbtui.teachers')), '{}'))));
CREATE POLICY scope ON kbtui.collections USING (
      (town = '' OR (kbtui.may_see_town(town) AND ((SELECT kbtui.setting_list('kbtui.towns')) IS NULL
                     OR town = ANY (coalesce((SELECT kbtui.setting_list('kbtui.towns')), '{}')))))
  AND (child IS NULL OR EXISTS (SELECT 1 FROM kbtui.children c WHERE c.id_number = child)));
CREATE POLICY scope ON kbtui.journal FOR SELECT USING (chain = '' OR kbtui.may_see_town(chain));
CREATE POLICY append ON kbtui.journal FOR INSERT WITH CHECK (kbtui.may_see_town(chain));
CREATE POLICY scope ON kbtui.journal_bulk FOR SELECT USING (chain = '' OR kbtui.may_see_town(chain));
CREATE POLICY append ON kbtui.journal_bulk FOR INSERT WITH CHECK (kbtui.may_see_town(chain));

GRANT USAGE ON SCHEMA kbtui TO kbtui_app;
GRANT SELECT, INSERT, UPDATE ON kbtui.children, kbtui.collections TO kbtui_app;   -- no DELETE, no TRUNCATE
GRANT SELECT, INSERT ON kbtui.journal, kbtui.journal_bulk TO kbtui_app;            -- append-only
GRANT USAGE ON SEQUENCE kbtui.journal_id_seq TO kbtui_app;
GRANT SELECT ON kbtui.journal_head, kbtui.meta TO kbtui_app;
GRANT EXECUTE ON FUNCTION kbtui.my_towns(), kbtui.setting_list(text), kbtui.may_see_town(text),
  kbtui.chain_start(text), kbtui.journal_lock(text), kbtui.journal_bad_macs(text), kbtui.journal_head_ok(text),
  kbtui.registered_towns(text[]) TO kbtui_app;
RESET ROLE;
