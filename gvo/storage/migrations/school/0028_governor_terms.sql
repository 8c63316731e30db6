-- Issue 14 (attack 7, F4): a governor's earlier terms of office. A record is one per person
-- per board and shows the term they serve now; when they are reappointed (a new date
-- appointed after the last term ended, or a date stepped down cleared) the term that ended
-- is kept here, so the record page still shows it. Dates 'YYYY-MM-DD' (school's zone),
-- kept_at UTC ISO 8601.
CREATE TABLE governor_terms (
    id                  INTEGER PRIMARY KEY,
    record_id           INTEGER NOT NULL REFERENCES governor_records(id) ON DELETE CASCADE,
    category            TEXT NOT NULL DEFAULT '',
    appointed_by        TEXT NOT NULL DEFAULT '',
    appointed_on        TEXT,
    term_years          INTEGER,
    term_ends_on        TEXT,
    stepped_down_on     TEXT,
    stepped_down_reason TEXT NOT NULL DEFAULT '',
    kept_at             TEXT NOT NULL
);
CREATE INDEX governor_terms_record ON governor_terms(record_id);
