-- Users, server-side sessions and the audit log of `palisade serve`.
-- Keep in step with ../postgres/00003_users.sql.

-- +goose Up
CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    name       TEXT        NOT NULL UNIQUE,
    role       TEXT        NOT NULL CHECK (role IN ('viewer', 'triager', 'admin')),
    password   TEXT        NOT NULL, -- Argon2id PHC string, never the password
    disabled   INTEGER     NOT NULL DEFAULT 0,
    created_at TIMESTAMP   NOT NULL
);

CREATE TABLE sessions (
    id_hash      TEXT        PRIMARY KEY, -- SHA-256 of the session token, never the token
    user_id      INTEGER     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMP   NOT NULL,
    last_seen_at TIMESTAMP   NOT NULL,
    auth_at      TIMESTAMP   NOT NULL  -- last time the password was entered
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     TIMESTAMP   NOT NULL,
    actor  TEXT        NOT NULL,
    action TEXT        NOT NULL,
    target TEXT        NOT NULL,
    detail TEXT        NOT NULL
);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE users;
