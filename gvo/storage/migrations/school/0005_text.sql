-- Issue 9, text that cannot break: search folds letters, file names lose bidi controls,
-- and a document version records whether its text could be extracted.
-- gvo_folded_words() and gvo_safe_filename() are gvo.core.text's rules, registered for migrations
-- by gvo.storage.sqlcipher.migrate.

-- Search: a document's file name and description move to their own column (`about`) so a
-- rename never touches its extracted text, and `folded` holds the transliterated form of
-- each row's non-ASCII words (Łódź -> lodz). FTS5 cannot add columns: rebuild the table
-- from its own content, splitting "file name\ndescription\ntext" for documents.
CREATE VIRTUAL TABLE search_fts_new USING fts5(title, about, body, folded,
                                               tokenize = 'unicode61 remove_diacritics 2');

INSERT INTO search_fts_new(rowid, title, about, body, folded)
SELECT f.rowid, f.title,
       CASE WHEN m.about IS NULL THEN '' ELSE gvo_safe_filename(m.filename) || m.description END,
       CASE WHEN m.about IS NOT NULL AND substr(f.body, 1, length(m.about)) = m.about
            THEN ltrim(substr(f.body, length(m.about) + 1), char(10))
            ELSE f.body END,
       gvo_folded_words(f.title || char(10) || f.body)
FROM search_fts f
LEFT JOIN (
    SELECT si.id AS id, v.filename AS filename,
           CASE WHEN d.description <> '' THEN char(10) || d.description ELSE '' END
               AS description,
           v.filename || CASE WHEN d.description <> '' THEN char(10) || d.description
                              ELSE '' END AS about
    FROM search_items si
    JOIN documents d ON si.kind = 'document' AND d.id = si.item_id
    JOIN document_versions v ON v.document_id = d.id
     AND v.number = (SELECT max(number) FROM document_versions WHERE document_id = d.id)
) m ON m.id = f.rowid;

DROP TABLE search_fts;
ALTER TABLE search_fts_new RENAME TO search_fts;

-- File names: no control or bidirectional formatting characters (U+202E ...).
UPDATE document_versions SET filename = gvo_safe_filename(filename)
 WHERE filename <> gvo_safe_filename(filename);

-- Text extraction runs after the upload's transaction: 'pending' until it has, then
-- 'indexed', 'unreadable' (the parser failed) or 'limit:<what>' (time, cpu, memory,
-- expanded, size): such a version is found by its title and file name only.
ALTER TABLE document_versions ADD COLUMN text_status TEXT NOT NULL DEFAULT 'indexed';
