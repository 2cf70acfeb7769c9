-- screener results store, schema 3 (issue 16): the audit events a station may read,
-- those of the attempts it is running (an unfinished attempt's extra time, read
-- back when the candidate resumes it). The station role has no SELECT on audit.
CREATE VIEW screener.running_audit WITH (security_barrier) AS
    SELECT au.*
    FROM screener.audit au
    WHERE au.attempt_id IN (SELECT r.id FROM screener.running_attempts r);
