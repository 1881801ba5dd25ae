-- Second factor of `palisade serve`: a TOTP secret per user, encrypted by
-- the server (AES-256-GCM under $PALISADE_SECRET_KEY, never in clear), a
-- pending one during enrollment, and the last time step used, so a code is
-- accepted once. Keep in step with the other dialect's 00004_totp.sql.

-- +goose Up
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_pending TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_pending;
ALTER TABLE users DROP COLUMN totp_secret;
