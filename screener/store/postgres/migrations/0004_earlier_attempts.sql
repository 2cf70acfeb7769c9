-- screener results store, schema 4 (issue 16): what a station may know of a returning
-- candidate's earlier attempts at an assessment, so that their retake is on the form
-- they have not taken (taking.next_form) and never asks an item they met before
-- (Store.seen_items, issue 13). A station has no SELECT on the attempts table; this
-- function, run as its owner (the schema's), gives per attempt only
--   id, layout (its assessment, version and form), status, started, submitted,
--   stamp and seq (the order attempts are read in),
--   asked: the form's item positions answered or timed, for an attempt in progress
--          (NULL once submitted: the whole form was put before the candidate),
--   follow_ups: the reserve positions of the follow-up items asked, in the order asked;
-- never a score, status letter, outcome, overall, plan, interval, answer value,
-- seconds, seed, key or who started it.
CREATE FUNCTION screener.earlier_attempts(candidate text, assessment text)
RETURNS TABLE (id text, layout integer, status text, started text, submitted text,
               stamp text, seq bigint, asked integer[], follow_ups integer[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = screener, pg_temp AS $$
    SELECT a.id, a.layout, a.status, a.started, a.submitted, a.stamp, a.seq,
           CASE WHEN a.status = 'in_progress' THEN ARRAY(
               SELECT (x.n - 1)::integer
               FROM json_array_elements(a.answers::json) WITH ORDINALITY AS x (v, n)
               WHERE json_typeof(x.v) <> 'null'
                  OR coalesce(json_typeof(a.seconds::json -> (x.n - 1)::integer), 'null') <> 'null'
               ORDER BY x.n)
           END,
           ARRAY(
               SELECT (e.v ->> 0)::integer
               FROM json_array_elements(coalesce(a.extra, '[]')::json) WITH ORDINALITY AS e (v, n)
               ORDER BY e.n)
    FROM screener.attempts a
    WHERE a.candidate_id = $1
      AND a.layout IN (SELECT l.id FROM screener.layouts l WHERE l.assessment = $2)
    ORDER BY a.stamp, a.seq
$$;
-- run by the roles `screener db init` grants it to (screener.store.postgres.roles)
REVOKE ALL ON FUNCTION screener.earlier_attempts(text, text) FROM PUBLIC;
