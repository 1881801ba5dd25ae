-- Schema for SQLite. Keep in step with ../postgres/00001_init.sql: the two
-- differ only in id columns (INTEGER PRIMARY KEY vs identity) and time columns
-- (TIMESTAMP text written by the driver vs TIMESTAMPTZ).

-- +goose Up
CREATE TABLE scans (
    id            INTEGER PRIMARY KEY,
    target        TEXT      NOT NULL,
    scanners      TEXT      NOT NULL, -- JSON object: scanner name -> version
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP NOT NULL,
    status        TEXT      NOT NULL CHECK (status IN ('completed', 'partial')),
    skipped_paths TEXT      NOT NULL  -- JSON array of paths
);
CREATE INDEX scans_target ON scans (target, id);

CREATE TABLE findings (
    id             INTEGER PRIMARY KEY,
    target         TEXT      NOT NULL,
    fingerprint    TEXT      NOT NULL,
    scanner        TEXT      NOT NULL,
    rule_id        TEXT      NOT NULL,
    category       TEXT      NOT NULL,
    severity       TEXT      NOT NULL,
    severity_level INTEGER   NOT NULL, -- 0 info .. 4 critical, for ordering
    title          TEXT      NOT NULL,
    message        TEXT      NOT NULL,
    path           TEXT      NOT NULL,
    start_line     INTEGER   NOT NULL,
    end_line       INTEGER   NOT NULL,
    commit_hash    TEXT      NOT NULL,
    resource       TEXT      NOT NULL,
    evidence       TEXT      NOT NULL,
    remediation    TEXT      NOT NULL,
    extra          TEXT      NOT NULL, -- JSON: the rest of finding.Finding
    status         TEXT      NOT NULL CHECK (status IN ('open', 'fixed', 'accepted', 'false_positive')),
    status_reason  TEXT      NOT NULL,
    status_expires TIMESTAMP NULL,
    status_by      TEXT      NOT NULL,
    first_seen     TIMESTAMP NOT NULL,
    last_seen      TIMESTAMP NOT NULL,
    fixed_at       TIMESTAMP NULL,
    last_scan_id   INTEGER   NOT NULL REFERENCES scans (id),
    UNIQUE (target, fingerprint)
);
CREATE INDEX findings_target_status ON findings (target, status, severity_level);
CREATE INDEX findings_status_severity ON findings (status, severity_level);
CREATE INDEX findings_fingerprint ON findings (fingerprint);

CREATE TABLE finding_events (
    id          INTEGER PRIMARY KEY,
    finding_id  INTEGER   NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    at          TIMESTAMP NOT NULL,
    from_status TEXT      NOT NULL, -- empty when the finding was first recorded
    to_status   TEXT      NOT NULL,
    reason      TEXT      NOT NULL,
    actor       TEXT      NOT NULL,
    scan_id     INTEGER   NULL REFERENCES scans (id)
);
CREATE INDEX finding_events_finding ON finding_events (finding_id, id);

-- +goose Down
DROP TABLE finding_events;
DROP TABLE findings;
DROP TABLE scans;
