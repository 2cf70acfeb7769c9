-- screener results store, schema 6 (issue 16): a large batch's foreign keys checked
-- all at once. The attempts' foreign keys (to candidates and layouts) check each new
-- row by a query of its own when the COPY ends: two per attempt, half of the server's
-- time in a 100k-row batch. A batch as large as what is stored already instead drops
-- both keys in its transaction (bulk_attempts_begin), copies its rows, and makes them
-- again (bulk_attempts_end), which checks every row by one join. DDL is transactional:
-- no other transaction ever sees the table without its keys (it waits for the lock the
-- batch holds), and a transaction that dropped them cannot commit without them (the
-- deferred guard below), so a failed or killed batch leaves the keys as they were.

-- one row per transaction between begin and end (never committed: end deletes it)
CREATE TABLE screener.bulk_pending (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY
);

-- at commit: the keys are there again, else the commit fails (and the drop is undone)
CREATE FUNCTION screener.bulk_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = screener, pg_temp AS $$
BEGIN
    IF (SELECT count(*) FROM pg_constraint
        WHERE conrelid = 'screener.attempts'::regclass AND contype = 'f'
          AND conname IN ('attempts_candidate_id_fkey', 'attempts_layout_fkey')) <> 2 THEN
        RAISE EXCEPTION 'the attempts'' foreign keys were dropped and not made again'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER bulk_guard AFTER INSERT ON screener.bulk_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION screener.bulk_guard();

-- run as the schema's owner (ALTER TABLE needs it), for a login that may read and
-- add attempts (a recruiter, the owner): never a station
CREATE FUNCTION screener.bulk_attempts_begin() RETURNS void
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
END
$$;

CREATE FUNCTION screener.bulk_attempts_end() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = screener, pg_temp AS $$
BEGIN
    IF NOT has_table_privilege(session_user, 'screener.attempts', 'SELECT, INSERT') THEN
        RAISE EXCEPTION 'permission denied for function bulk_attempts_end'
            USING ERRCODE = 'insufficient_privilege';
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
REVOKE ALL ON FUNCTION screener.bulk_attempts_begin() FROM PUBLIC;
REVOKE ALL ON FUNCTION screener.bulk_attempts_end() FROM PUBLIC;
