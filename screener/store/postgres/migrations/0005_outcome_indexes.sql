-- screener results store, schema 5 (issue 16): the `results --outcome` filter's index,
-- one partial index per outcome instead of one on (outcome, stamp, seq). A submitted
-- attempt is stored at the right edge of its outcome's index (stamps and seq only
-- grow), where the B-tree inserts without a descent from the root; in the one index
-- a batch's rows went to three places at random, a third of the attempts' index time
-- in a 100k-row batch. A query naming an outcome (`outcome = 'pass'`) reads its index
-- in stamp order as it read the old one; the outcomes are the CHECK's three.
DROP INDEX screener.attempts_outcome;
CREATE INDEX attempts_outcome_pass ON screener.attempts (stamp, seq)
    WHERE outcome = 'pass';
CREATE INDEX attempts_outcome_coaching ON screener.attempts (stamp, seq)
    WHERE outcome = 'coaching';
CREATE INDEX attempts_outcome_incomplete ON screener.attempts (stamp, seq)
    WHERE outcome = 'incomplete';
