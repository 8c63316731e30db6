-- Issue 16: training records. Dates are calendar dates in the school's time zone
-- ('YYYY-MM-DD'); times UTC ISO 8601. A certificate is a library document, kept in a
-- restricted folder open only to its person and the Managers (gvo.training.certificates).

CREATE TABLE training_courses (
    id              INTEGER PRIMARY KEY,
    title           TEXT NOT NULL,
    category        TEXT NOT NULL DEFAULT '',
    provider        TEXT NOT NULL DEFAULT '',
    mandatory       INTEGER NOT NULL DEFAULT 0 CHECK (mandatory IN (0, 1)),
    validity_months INTEGER CHECK (validity_months IS NULL OR validity_months BETWEEN 1 AND 120),
    booking_url     TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE training_completions (
    id           INTEGER PRIMARY KEY,
    course_id    INTEGER NOT NULL REFERENCES training_courses(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    completed_on TEXT NOT NULL,
    document_id  INTEGER REFERENCES documents(id) ON DELETE SET NULL,  -- the certificate
    recorded_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX training_completions_person ON training_completions(user_id, course_id, completed_on);
CREATE INDEX training_completions_course ON training_completions(course_id, completed_on);

-- Each person's restricted folder of certificates (under the top-level folder whose id is
-- the setting 'training.certificates_folder').
CREATE TABLE training_certificate_folders (
    user_id   INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE
);
