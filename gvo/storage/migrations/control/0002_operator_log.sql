-- Issue 17: the operator's audit log, in the control database. What an operator did to a
-- whole school from the command line (`gvo school delete`, `gvo school export`), kept after
-- the school itself is gone. Hash-chained as a school's audit_log is (gvo.core.audit): the
-- same fields, the same hash; actor_email holds the operating-system user who ran `gvo`.
CREATE TABLE operator_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor_id    INTEGER,
    actor_email TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '{}',
    ip          TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
