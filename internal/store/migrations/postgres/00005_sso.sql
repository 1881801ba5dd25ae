-- Single sign-on (OpenID Connect) for `palisade serve`. An administrator
-- names a user's e-mail address (sso_email); the first sign-in whose ID
-- token asserts that address as verified pins the user to the identity
-- provider's (issuer, subject), and later sign-ins match on that pair only,
-- so a changed address at the provider cannot take over another account.
-- A user with single sign-on has no password (password = '').
-- login_flows holds each sign-in under way for ten minutes: the state,
-- nonce and PKCE verifier, keyed by the SHA-256 of a random token in the
-- browser's cookie, taken (deleted) by the callback so it works once.
-- Keep in step with the other dialect's 00005_sso.sql.

-- +goose Up
ALTER TABLE users ADD COLUMN sso_email TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN sso_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN sso_subject TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_sso_email ON users (sso_email) WHERE sso_email <> '';
CREATE UNIQUE INDEX users_sso_identity ON users (sso_issuer, sso_subject) WHERE sso_subject <> '';

CREATE TABLE login_flows (
    id_hash      TEXT        PRIMARY KEY, -- SHA-256 of the browser's flow token, never the token
    state        TEXT        NOT NULL,
    nonce        TEXT        NOT NULL,
    verifier     TEXT        NOT NULL,    -- PKCE code verifier
    return_to    TEXT        NOT NULL,    -- the local path to return to
    session_hash TEXT        NOT NULL,    -- for a re-authentication: the session it refreshes
    created_at   TIMESTAMPTZ   NOT NULL,
    expires_at   TIMESTAMPTZ   NOT NULL
);
CREATE INDEX login_flows_expires ON login_flows (expires_at);

-- +goose Down
DROP TABLE login_flows;
DROP INDEX users_sso_identity;
DROP INDEX users_sso_email;
ALTER TABLE users DROP COLUMN sso_subject;
ALTER TABLE users DROP COLUMN sso_issuer;
ALTER TABLE users DROP COLUMN sso_email;
