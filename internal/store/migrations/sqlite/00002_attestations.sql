-- Attestations: a person's statement that a roadmap control no machine
-- can check holds (training given, a tabletop exercise run), with an expiry.
-- Keep in step with ../postgres/00002_attestations.sql.

-- +goose Up
CREATE TABLE attestations (
    id          INTEGER PRIMARY KEY,
    control_id  TEXT      NOT NULL,
    actor       TEXT      NOT NULL,
    note        TEXT      NOT NULL,
    attested_at TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);
CREATE INDEX attestations_control ON attestations (control_id, id);

-- +goose Down
DROP TABLE attestations;
