-- Issue 11, long lists in pages: every list is read a page at a time in a stable order
-- (keyset pagination, gvo/core/paging.py), each through an index that holds that order,
-- and no count or listing scans a whole table.

-- Comments: the reply count (and the recursive walk below) finds replies by their parent.
CREATE INDEX comments_parent ON comments(parent_id);

-- Each comment knows the top-level comment of its thread (itself for a top-level one), so
-- a subject's comments are read in pages in the order (root_id, id): each top-level comment
-- followed by its replies, oldest first.
ALTER TABLE comments ADD COLUMN root_id INTEGER REFERENCES comments(id);

WITH RECURSIVE tree(id, root) AS (
    SELECT id, id FROM comments WHERE parent_id IS NULL
    UNION ALL
    SELECT c.id, tree.root FROM comments c JOIN tree ON c.parent_id = tree.id
)
UPDATE comments SET root_id = tree.root FROM tree WHERE tree.id = comments.id;

-- A reply whose parent is missing (foreign keys forbid it) would start its own thread.
UPDATE comments SET root_id = id WHERE root_id IS NULL;

DROP INDEX comments_subject;
CREATE INDEX comments_subject ON comments(subject_type, subject_id, root_id, id);

-- What's new (home): each source read newest first.
CREATE INDEX comments_created ON comments(created_at);
CREATE INDEX pages_created ON pages(created_at);
CREATE INDEX document_versions_uploaded ON document_versions(uploaded_at);

-- A folder's contents in pages: documents and pages by title, sub-folders in their order.
DROP INDEX documents_folder;
CREATE INDEX documents_folder ON documents(folder_id, title COLLATE NOCASE);
DROP INDEX pages_folder;
CREATE INDEX pages_folder ON pages(folder_id, title COLLATE NOCASE);
DROP INDEX folders_parent;
CREATE INDEX folders_parent ON folders(parent_id, sort_order, title COLLATE NOCASE);
