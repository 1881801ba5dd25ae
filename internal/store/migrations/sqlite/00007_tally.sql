-- The program views (roadmap, metrics, services) count findings in SQL
-- (Store.Tally) instead of reading every one. Two things they group by were
-- only inside the extra JSON, so they get columns of their own, written by
-- RecordScan and filled here for the findings already stored:
--   checklist  the JSON array of the checklist steps the finding references
--              (references of type "checklist"), '[]' for none;
--   fixable    1 when the finding names versions that fix it (fixed_versions).
-- Keep in step with the other dialect's 00007_tally.sql.

-- +goose Up
ALTER TABLE findings ADD COLUMN checklist TEXT NOT NULL DEFAULT '[]';
ALTER TABLE findings ADD COLUMN fixable INTEGER NOT NULL DEFAULT 0;
UPDATE findings SET checklist = (
    SELECT json_group_array(json_extract(r.value, '$.id'))
    FROM json_each(findings.extra, '$.references') AS r
    WHERE json_extract(r.value, '$.type') = 'checklist')
WHERE EXISTS (
    SELECT 1 FROM json_each(findings.extra, '$.references') AS r
    WHERE json_extract(r.value, '$.type') = 'checklist');
UPDATE findings SET fixable = 1 WHERE json_array_length(findings.extra, '$.fixed_versions') > 0;

-- Indexes the tallies read instead of the table, in the order they group
-- by, so SQLite counts without sorting: the findings by status and what the
-- roadmap's controls read, then target and resource (the service ranking);
-- and the findings first seen, and fixed, since a time (the metrics' trend).
-- findings_open_tally starts like findings_status_severity, which it
-- replaces: a second index starting with status drew SQLite (which keeps no
-- statistics) away from the one that orders the findings list by severity.
-- For the same reason findings_fixed_at does not start with status.
DROP INDEX findings_status_severity;
CREATE INDEX findings_open_tally ON findings (status, severity_level, scanner, rule_id, category, checklist,
    status_expires, target, resource, fixable, first_seen);
CREATE INDEX findings_fixed_at ON findings (fixed_at, severity_level, first_seen, status);
CREATE INDEX findings_first_seen ON findings (first_seen);

-- +goose Down
DROP INDEX findings_first_seen;
DROP INDEX findings_fixed_at;
DROP INDEX findings_open_tally;
CREATE INDEX findings_status_severity ON findings (status, severity_level);
ALTER TABLE findings DROP COLUMN fixable;
ALTER TABLE findings DROP COLUMN checklist;
