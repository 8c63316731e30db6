-- Locked records, frozen (DESIGN.md "Locked means frozen"): what a locked register and
-- approved minutes say, taken when they were locked or approved, and rendered from here,
-- never from live data again. JSON documents (see gvo/meetings/records.py).
CREATE TABLE meeting_records (
    meeting_id     INTEGER PRIMARY KEY REFERENCES meetings(id),
    register       TEXT,     -- taken when the register is locked
    minutes        TEXT,     -- taken when the minutes are approved
    minutes_pdf    BLOB,     -- the approved minutes (part 1) exactly as approved
    minutes_sha256 TEXT      -- sha256 of minutes_pdf (hex), also in the audit log
);
