-- screener results store, schema 1 (issue 16). Applied by `screener db migrate`
-- (screener.store.postgres.migrate) in one transaction; the runner records the
-- version in screener.meta. Times are stored as screener writes them:
-- ISO-8601 UTC text to the second ('2024-05-01T10:20:00Z'), which sorts as time.
-- The packed attempt fields (docs/store.md, "Attempts") are kept as the exact
-- JSON text screener packs, so every backend gives back the same attempt.
-- Text that is sorted or compared by range (times, names, ids) has the "C"
-- collation: code point order, as screener's other backend compares it.

CREATE SCHEMA IF NOT EXISTS screener;

CREATE TABLE screener.meta (
    id             integer PRIMARY KEY CHECK (id = 1),
    schema_version integer NOT NULL,
    secret         text,
    created        text NOT NULL
);

CREATE TABLE screener.candidates (
    seq      bigint GENERATED ALWAYS AS IDENTITY,  -- the order stored in
    id       text COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
    name     text COLLATE "C" NOT NULL CHECK (name <> ''),
    name_key text NOT NULL,  -- the name with spacing runs made one, case-folded
    contact  text,
    created  text COLLATE "C" NOT NULL
);
CREATE INDEX candidates_name_key ON screener.candidates (name_key);

CREATE TABLE screener.layouts (
    id         integer PRIMARY KEY,
    assessment text NOT NULL,
    version    text NOT NULL,
    form       text NOT NULL,
    doc        text NOT NULL UNIQUE  -- Layout.to_doc() as JSON text
);
CREATE INDEX layouts_assessment ON screener.layouts (assessment);

CREATE TABLE screener.attempts (
    seq          bigint GENERATED ALWAYS AS IDENTITY,  -- the order stored in
    id           text PRIMARY KEY,
    -- The foreign keys cost about 2 s of a 100k-row batch save (a per-row check);
    -- kept: no attempt can name a person or form that is not stored.
    candidate_id text COLLATE "C" NOT NULL REFERENCES screener.candidates (id),
    layout       integer NOT NULL REFERENCES screener.layouts (id),
    status       text NOT NULL CHECK (status IN ('in_progress', 'submitted')),
    started      text COLLATE "C",
    submitted    text COLLATE "C",
    -- the time attempts are ordered by: submitted, else started
    stamp        text GENERATED ALWAYS AS (coalesce(submitted, started, '')) STORED,
    outcome      text CHECK (outcome IN ('pass', 'coaching', 'incomplete')),
    overall      double precision,
    seed         bigint,
    key          text UNIQUE,
    answers      text NOT NULL,
    item_order   text,
    seconds      text,
    extra        text,
    scores       text,
    codes        text,
    intervals    text,
    near         text,
    plan         text,
    CHECK (status = 'in_progress' OR (submitted IS NOT NULL AND scores IS NOT NULL
                                      AND codes IS NOT NULL AND outcome IS NOT NULL))
);
CREATE INDEX attempts_stamp ON screener.attempts (stamp, seq);
CREATE INDEX attempts_candidate ON screener.attempts (candidate_id, stamp, seq);
CREATE INDEX attempts_layout ON screener.attempts (layout, stamp, seq);
CREATE INDEX attempts_outcome ON screener.attempts (outcome, stamp, seq);
CREATE INDEX attempts_in_progress ON screener.attempts (stamp, seq) WHERE status = 'in_progress';

-- per submitted attempt: the modules of its coaching plan, required or recommended
-- (their order and gaps are in the attempt's packed plan). Written and erased by the
-- store only together with their attempt, in the same transaction; no foreign key:
-- its per-row check (and row lock) took 40% of a 100k-row batch save. Keyed by
-- module first, for the `results --module` filter; an erasure's look-up by attempt
-- reads the table through (a row or so per attempt).
CREATE TABLE screener.plan_rows (
    attempt_id text NOT NULL,
    module     text NOT NULL,
    required   boolean NOT NULL,  -- false: recommended (for a borderline competency)
    PRIMARY KEY (module, attempt_id)
);

-- Per submitted attempt and competency (in layout order): the score and its status,
-- read from the attempt's packed scores and status letters and its layout's
-- competencies. A view, not rows of their own: five rows per attempt took a third
-- of a 100k-row batch save, and they would only repeat what the attempt holds.
CREATE VIEW screener.competency_results AS
    SELECT a.id AS attempt_id,
           (c.n - 1)::smallint AS position,
           c.competency,
           (a.scores::json ->> (c.n - 1)::integer)::double precision AS score,
           CASE substr(a.codes, c.n::integer, 1)
               WHEN 'm' THEN 'meets' WHEN 'b' THEN 'below'
               WHEN 'i' THEN 'incomplete' WHEN 'o' THEN 'borderline'
           END AS status
    FROM screener.attempts a
    JOIN screener.layouts l ON l.id = a.layout
    CROSS JOIN LATERAL json_array_elements_text(l.doc::json -> 'competencies')
        WITH ORDINALITY AS c (competency, n)
    WHERE a.status = 'submitted';

CREATE TABLE screener.progress (
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    candidate_id text COLLATE "C" NOT NULL REFERENCES screener.candidates (id),
    module       text NOT NULL,
    attempt_id   text,
    started      text COLLATE "C" NOT NULL,
    updated      text COLLATE "C" NOT NULL,
    completed    text COLLATE "C",
    check_score  double precision,
    lessons      text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (candidate_id, module)
);

-- decisions and changes; the store's own events carry counts, never personal data
CREATE TABLE screener.audit (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event        text NOT NULL,
    at           text COLLATE "C" NOT NULL,
    command      text,
    candidate_id text,
    attempt_id   text,
    count        bigint,
    detail       text
);
CREATE INDEX audit_at ON screener.audit (at, seq);
CREATE INDEX audit_candidate ON screener.audit (candidate_id) WHERE candidate_id IS NOT NULL;
CREATE INDEX audit_attempt ON screener.audit (attempt_id) WHERE attempt_id IS NOT NULL;

CREATE TABLE screener.employers (
    seq    bigint GENERATED ALWAYS AS IDENTITY,
    id     text PRIMARY KEY,
    name   text NOT NULL,
    region text NOT NULL,
    seats  integer NOT NULL CHECK (seats >= 0)
);

-- program events (issue 17), as screener.pathway.Event.as_dict gives them
CREATE TABLE screener.events (
    seq    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person text NOT NULL,
    doc    text NOT NULL
);
CREATE INDEX events_person ON screener.events (person);
