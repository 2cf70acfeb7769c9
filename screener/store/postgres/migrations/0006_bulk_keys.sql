-- screener results store, schema 6 (issue 16): a large batch's keys checked and its
-- indexes built all at once. The attempts' foreign keys (to candidates and layouts)
-- check each new row by a query of its own when the COPY ends: two per attempt, half
-- of the server's time in a 100k-row batch; and each index takes each new row where
-- it belongs. A batch as large as what is stored already instead drops both foreign
-- keys in its transaction (bulk_attempts_begin), copies its rows, and makes them again
-- (bulk_attempts_end), which checks every row by one join; a batch four times what is
-- stored (a first import) drops and builds again the indexes too (sorted, as
-- CREATE INDEX does). DDL is transactional: no other transaction ever sees the table
-- without its keys or indexes (it waits for the lock the batch holds to its commit),
-- and a transaction that dropped them cannot commit without them (the deferred guard
-- below), so a failed or killed batch leaves them as they were.
--
-- A later migration that changes the attempts' indexes or foreign keys changes these
-- three functions with them (tests/test_store_postgres.py compares the table before
-- and after a large batch).

-- a row per transaction between begin and end, which fires the guard at its commit
CREATE TABLE screener.bulk_pending (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY
);

-- at commit: every key and index of the attempts is there, else the commit fails
-- (and the drop is undone)
CREATE FUNCTION screener.bulk_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = screener, pg_temp AS $$
BEGIN
    IF (SELECT count(*) FROM pg_constraint
        WHERE conrelid = 'screener.attempts'::regclass AND contype = 'f'
          AND conname IN ('attempts_candidate_id_fkey', 'attempts_layout_fkey')) <> 2
       OR (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
           WHERE i.indrelid = 'screener.attempts'::regclass
             AND c.relname IN (
                 'attempts_pkey', 'attempts_key_key', 'attempts_stamp',
                 'attempts_candidate', 'attempts_layout', 'attempts_in_progress',
                 'attempts_outcome_pass', 'attempts_outcome_coaching',
                 'attempts_outcome_incomplete')) <> 9 THEN
        RAISE EXCEPTION 'the attempts'' keys or indexes were dropped and not made again'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER bulk_guard AFTER INSERT ON screener.bulk_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION screener.bulk_guard();

-- run as the schema's owner (ALTER TABLE needs it), for a login that may read and
-- add attempts (a recruiter, the owner): never a station
CREATE FUNCTION screener.bulk_attempts_begin(indexes boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = screener, pg_temp AS $$
BEGIN
    IF NOT has_table_privilege(session_user, 'screener.attempts', 'SELECT, INSERT') THEN
        RAISE EXCEPTION 'permission denied for function bulk_attempts_begin'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO screener.bulk_pending DEFAULT VALUES;
    ALTER TABLE screener.attempts
        DROP CONSTRAINT attempts_candidate_id_fkey,
        DROP CONSTRAINT attempts_layout_fkey;
    IF indexes THEN
        ALTER TABLE screener.attempts
            DROP CONSTRAINT attempts_pkey,
            DROP CONSTRAINT attempts_key_key;
        DROP INDEX screener.attempts_stamp, screener.attempts_candidate,
            screener.attempts_layout, screener.attempts_in_progress,
            screener.attempts_outcome_pass, screener.attempts_outcome_coaching,
            screener.attempts_outcome_incomplete;
    END IF;
END
$$;

CREATE FUNCTION screener.bulk_attempts_end() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = screener, pg_temp AS $$
BEGIN
    IF NOT has_table_privilege(session_user, 'screener.attempts', 'SELECT, INSERT') THEN
        RAISE EXCEPTION 'permission denied for function bulk_attempts_end'
            USING ERRCODE = 'insufficient_privilege';
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
REVOKE ALL ON FUNCTION screener.bulk_attempts_begin(boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION screener.bulk_attempts_end() FROM PUBLIC;
