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
UPDATE findings SET checklist = steps.ids
FROM (
    SELECT f.id, json_agg(r.value ->> 'id' ORDER BY r.n)::text AS ids
    FROM findings AS f,
         json_array_elements(f.extra::json -> 'references') WITH ORDINALITY AS r (value, n)
    WHERE r.value ->> 'type' = 'checklist'
    GROUP BY f.id) AS steps
WHERE findings.id = steps.id;
UPDATE findings SET fixable = 1 WHERE json_array_length(extra::json -> 'fixed_versions') > 0;

-- Indexes the tallies read instead of the table: the findings by status
-- and what the roadmap's controls read (an index-only scan once vacuumed),
-- and the findings first seen, and fixed, since a time (the metrics' trend).
-- findings_open_tally starts like findings_status_severity, which it
-- replaces, as in SQLite's schema. Unlike SQLite's, it stops before target
-- and resource: PostgreSQL counts the ranking's groups with a hash
-- aggregate from the table, and a B-tree entry holds at most 2,704 bytes,
-- which a long resource could pass, failing its scan.
DROP INDEX findings_status_severity;
CREATE INDEX findings_open_tally ON findings (status, severity_level, scanner, rule_id, category, checklist,
    status_expires, first_seen);
CREATE INDEX findings_fixed_at ON findings (fixed_at, severity_level, first_seen, status);
CREATE INDEX findings_first_seen ON findings (first_seen);

-- +goose Down
DROP INDEX findings_first_seen;
DROP INDEX findings_fixed_at;
DROP INDEX findings_open_tally;
CREATE INDEX findings_status_severity ON findings (status, severity_level);
ALTER TABLE findings DROP COLUMN fixable;
ALTER TABLE findings DROP COLUMN checklist;
