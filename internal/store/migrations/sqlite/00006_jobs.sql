-- The job queue of `palisade worker`: scans, AWS audits and log ingests
-- that workers on any machine take from the shared store. A job is a
-- palisade command line (a JSON array of its arguments, checked against an
-- allowlist). A worker claims a job by setting a lease; a job whose lease
-- ran out (its worker died) is claimed again until its attempts are spent.
-- A recurring job (every_seconds > 0) is queued again after each run.
-- Keep in step with the other dialect's 00006_jobs.sql.

-- +goose Up
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,
    name          TEXT        NOT NULL,
    args          TEXT        NOT NULL, -- JSON array of palisade's arguments
    status        TEXT        NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    attempts      INTEGER     NOT NULL DEFAULT 0,
    max_attempts  INTEGER     NOT NULL,
    every_seconds BIGINT      NOT NULL DEFAULT 0,
    run_after     TIMESTAMP   NOT NULL,
    lease_until   TIMESTAMP,
    worker        TEXT        NOT NULL DEFAULT '',
    lease_token   TEXT        NOT NULL DEFAULT '', -- a random token per claim: only its holder extends or finishes the run
    created_at    TIMESTAMP   NOT NULL,
    started_at    TIMESTAMP,
    finished_at   TIMESTAMP,
    exit_code     INTEGER,
    output        TEXT        NOT NULL DEFAULT '' -- the end of the last run's output
);
CREATE INDEX jobs_ready ON jobs (status, run_after);

-- +goose Down
DROP TABLE jobs;
