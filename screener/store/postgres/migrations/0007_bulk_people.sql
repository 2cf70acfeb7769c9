-- screener results store, schema 7 (issue 16): a first import's new candidates stored
-- without the candidates' indexes too. A 100k-row batch into an empty database
-- spent ~0.5 s of the server's time putting each new candidate into the primary key
-- (random text ids) and the name index one row at a time; COPY into the table
-- without them and CREATE INDEX afterwards (sorted) takes ~0.2 s. The batch calls
-- bulk_attempts_begin(indexes, true) before its candidates' COPY when no candidate
-- is stored yet: it drops what schema 6's begin drops, then the candidates' primary
-- key (and the progress rows' foreign key that needs it) and their name index;
-- bulk_attempts_end makes them again first (the primary key checks every id once
-- more), in the batch's transaction, and the deferred guard refuses a commit without
-- any of them.

CREATE OR REPLACE FUNCTION screener.bulk_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = screener, pg_temp AS $$
BEGIN
    IF (SELECT count(*) FROM pg_constraint
        WHERE conrelid = 'screener.attempts'::regclass AND contype = 'f'
          AND conname IN ('attempts_candidate_id_fkey', 'attempts_layout_fkey')) <> 2
       OR (SELECT count(*) FROM pg_constraint
           WHERE conrelid = 'screener.progress'::regclass AND contype = 'f'
             AND conname = 'progress_candidate_id_fkey') <> 1
       OR (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
           WHERE i.indrelid = 'screener.attempts'::regclass
             AND c.relname IN (
                 'attempts_pkey', 'attempts_key_key', 'attempts_stamp',
                 'attempts_candidate', 'attempts_layout', 'attempts_in_progress',
                 'attempts_outcome_pass', 'attempts_outcome_coaching',
                 'attempts_outcome_incomplete')) <> 9
       OR (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
           WHERE i.indrelid = 'screener.candidates'::regclass
             AND c.relname IN ('candidates_pkey', 'candidates_name_key')) <> 2 THEN
        RAISE EXCEPTION 'the attempts'' keys or indexes were dropped and not made again'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;

-- schema 6's begin, then (people) the candidates' keys and index
CREATE FUNCTION screener.bulk_attempts_begin(indexes boolean, people boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = screener, pg_temp AS $$
BEGIN
    IF NOT has_table_privilege(session_user, 'screener.attempts', 'SELECT, INSERT')
       OR NOT has_table_privilege(session_user, 'screener.candidates', 'SELECT, INSERT') THEN
        RAISE EXCEPTION 'permission denied for function bulk_attempts_begin'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM screener.bulk_attempts_begin(indexes);
    IF people THEN
        ALTER TABLE screener.progress DROP CONSTRAINT progress_candidate_id_fkey;
        ALTER TABLE screener.candidates DROP CONSTRAINT candidates_pkey;
        DROP INDEX screener.candidates_name_key;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION screener.bulk_attempts_end() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = screener, pg_temp AS $$
BEGIN
    IF NOT has_table_privilege(session_user, 'screener.attempts', 'SELECT, INSERT') THEN
        RAISE EXCEPTION 'permission denied for function bulk_attempts_end'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF to_regclass('screener.candidates_pkey') IS NULL THEN  -- dropped by begin(_, true)
        ALTER TABLE screener.candidates ADD CONSTRAINT candidates_pkey PRIMARY KEY (id);
        CREATE INDEX candidates_name_key ON screener.candidates (name_key);
        ALTER TABLE screener.progress ADD CONSTRAINT progress_candidate_id_fkey
            FOREIGN KEY (candidate_id) REFERENCES screener.candidates (id);
    END IF;
    IF to_regclass('screener.attempts_pkey') IS NULL THEN  -- dropped by begin(true)
        ALTER TABLE screener.attempts
            ADD CONSTRAINT attempts_pkey PRIMARY KEY (id),
            ADD CONSTRAINT attempts_key_key UNIQUE (key);
        CREATE INDEX attempts_stamp ON screener.attempts (stamp, seq);
        CREATE INDEX attempts_candidate ON screener.attempts (candidate_id, stamp, seq);
        CREATE INDEX attempts_layout ON screener.attempts (layout, stamp, seq);
        CREATE INDEX attempts_in_progress ON screener.attempts (stamp, seq)
            WHERE status = 'in_progress';
        CREATE INDEX attempts_outcome_pass ON screener.attempts (stamp, seq)
            WHERE outcome = 'pass';
        CREATE INDEX attempts_outcome_coaching ON screener.attempts (stamp, seq)
            WHERE outcome = 'coaching';
        CREATE INDEX attempts_outcome_incomplete ON screener.attempts (stamp, seq)
            WHERE outcome = 'incomplete';
    END IF;
    -- (each checks every row of the table by one query)
    ALTER TABLE screener.attempts
        ADD CONSTRAINT attempts_candidate_id_fkey
            FOREIGN KEY (candidate_id) REFERENCES screener.candidates (id),
        ADD CONSTRAINT attempts_layout_fkey
            FOREIGN KEY (layout) REFERENCES screener.layouts (id);
    DELETE FROM screener.bulk_pending;
END
$$;
REVOKE ALL ON FUNCTION screener.bulk_attempts_begin(boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION screener.bulk_attempts_end() FROM PUBLIC;
