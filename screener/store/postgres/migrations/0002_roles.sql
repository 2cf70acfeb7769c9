-- screener results store, schema 2 (issue 16): what the two roles of `screener db init`
-- rely on that does not depend on their names. The GRANTs themselves name the roles
-- and are made by `screener db init` (screener.store.postgres.roles).
--
-- A *station* role may register candidates and start, answer and submit attempts,
-- and read only the attempt it is running. It has no SELECT on the attempts table
-- (only on its id column, to draw fresh ids): it reads attempts through the view
-- running_attempts, which shows the attempts this role started that are in
-- progress, or that this very transaction wrote (the attempt just submitted or
-- saved, shown to the candidate once). A role that may read the whole attempts
-- table (a recruiter, the owner) is not limited by any of this.

-- who started an attempt: the login (current_user) that stored it; a role name,
-- never personal data (rows stored before schema 2 keep none)
ALTER TABLE screener.attempts ADD COLUMN started_by text;
ALTER TABLE screener.attempts ALTER COLUMN started_by SET DEFAULT current_user;

CREATE VIEW screener.running_attempts WITH (security_barrier) AS
    SELECT *
    FROM screener.attempts
    WHERE started_by = current_user
      AND (status = 'in_progress'
           OR xmin::text = (pg_current_xact_id_if_assigned()::text::bigint % 4294967296)::text);

-- A role without SELECT on the whole attempts table may change only an attempt it
-- started that is still in progress (the server says no, whatever SQL it sends).
CREATE FUNCTION screener.guard_attempt_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT has_table_privilege('screener.attempts', 'SELECT')
       AND (OLD.started_by IS DISTINCT FROM current_user::text
            OR OLD.status <> 'in_progress'
            OR NEW.started_by IS DISTINCT FROM OLD.started_by
            OR NEW.candidate_id IS DISTINCT FROM OLD.candidate_id) THEN
        RAISE EXCEPTION 'permission denied: this role may only change the attempt it is running'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER attempts_guard BEFORE UPDATE ON screener.attempts
    FOR EACH ROW EXECUTE FUNCTION screener.guard_attempt_change();

-- whether anything is stored, for a role that may not read every table (a station
-- asks before its first write); counts nothing, reveals nothing else
CREATE FUNCTION screener.holds_data() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = screener, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM screener.candidates)
        OR EXISTS (SELECT 1 FROM screener.attempts)
        OR EXISTS (SELECT 1 FROM screener.progress)
        OR EXISTS (SELECT 1 FROM screener.audit)
        OR EXISTS (SELECT 1 FROM screener.employers)
        OR EXISTS (SELECT 1 FROM screener.events)
$$;
