-- Issue 9, file names that show what they are: stored names are composed (NFC), lose
-- zero-width, bidirectional and other invisible characters, are trimmed around their
-- extension, and a name with nothing before its extension gets a stem ("   .txt" becomes
-- "document.txt"). gvo_safe_filename() is gvo.core.text.safe_filename, registered for
-- migrations by gvo.storage.sqlcipher.migrate.
UPDATE document_versions SET filename = gvo_safe_filename(filename)
 WHERE filename <> gvo_safe_filename(filename);

-- The search index's `about` (a document's file name and description, as
-- gvo.library.documents._about makes it) and `folded` follow the latest version's name.
CREATE TEMP TABLE gvo_about AS
SELECT si.id AS id,
       v.filename || CASE WHEN d.description <> '' THEN char(10) || d.description ELSE '' END
           AS about
FROM search_items si
JOIN documents d ON si.kind = 'document' AND d.id = si.item_id
JOIN document_versions v ON v.document_id = d.id
 AND v.number = (SELECT max(number) FROM document_versions WHERE document_id = d.id);

UPDATE search_fts
   SET about = (SELECT a.about FROM gvo_about a WHERE a.id = search_fts.rowid),
       folded = gvo_folded_words(title || char(10)
                                 || (SELECT a.about FROM gvo_about a WHERE a.id = search_fts.rowid)
                                 || char(10) || body)
 WHERE rowid IN (SELECT a.id FROM gvo_about a WHERE a.about IS NOT search_fts.about);

DROP TABLE gvo_about;
