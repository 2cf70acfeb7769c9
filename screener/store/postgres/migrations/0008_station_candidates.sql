-- screener results store, schema 8: a station reads only the candidates it needs.
-- Until schema 7 a station's role could read the whole candidates table: every
-- name and contact stored, from a test station candidates sit at. Now it may read
-- only the ids (to draw a fresh one, and for INSERT ... ON CONFLICT (id)), and
--   running_candidates: the candidates of the attempts it is running (its view of
--                       the attempts, running_attempts), for the name shown with them;
--   known_candidates:   a function, run as its owner (the schema's), that gives the
--                       candidates with one exact id or name (case and spacing as
--                       name_key folds them): how a returning candidate is found.
-- A recruiter (who may read the table) is not limited by any of this.

CREATE VIEW screener.running_candidates WITH (security_barrier) AS
    SELECT c.*
    FROM screener.candidates c
    WHERE c.id IN (SELECT a.candidate_id FROM screener.running_attempts a);

CREATE FUNCTION screener.known_candidates(wanted_id text, wanted_name_key text)
RETURNS TABLE (id text, name text, contact text, created text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = screener, pg_temp AS $$
    SELECT c.id, c.name, c.contact, c.created
    FROM screener.candidates c
    WHERE c.id = $1 OR c.name_key = $2
    ORDER BY c.created, c.id
$$;
-- run by the roles `screener db init` grants it to (screener.store.postgres.roles)
REVOKE ALL ON FUNCTION screener.known_candidates(text, text) FROM PUBLIC;

-- the station roles `screener db init` made before this schema (a role granted the
-- running attempts' view that may not read the attempts table) are limited now,
-- as `db init` limits them from here on
DO $$
DECLARE
    station name;
BEGIN
    FOR station IN
        SELECT DISTINCT r.rolname
        FROM pg_class v
        CROSS JOIN LATERAL aclexplode(v.relacl) a
        JOIN pg_roles r ON r.oid = a.grantee
        WHERE v.oid = 'screener.running_attempts'::regclass
          AND a.privilege_type = 'SELECT' AND a.grantee <> v.relowner
          AND NOT has_table_privilege(r.oid, 'screener.attempts', 'SELECT')
    LOOP
        EXECUTE format('REVOKE SELECT ON screener.candidates FROM %I', station);
        EXECUTE format('GRANT SELECT (id) ON screener.candidates TO %I', station);
        EXECUTE format('GRANT SELECT ON screener.running_candidates TO %I', station);
        EXECUTE format(
            'GRANT EXECUTE ON FUNCTION screener.known_candidates(text, text) TO %I', station);
    END LOOP;
END
$$;
