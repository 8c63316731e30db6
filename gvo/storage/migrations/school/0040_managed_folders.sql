-- Folders a feature keeps (training certificates): `managed_by` names the feature. The
-- library refuses to edit, delete or change the access of such a folder, and lets nobody
-- but the Managers (and the feature itself) add anything in it or below it
-- (gvo.library.access.managed_by).
ALTER TABLE folders ADD COLUMN managed_by TEXT;

UPDATE folders SET managed_by = 'training'
 WHERE id IN (SELECT folder_id FROM training_certificate_folders)
    OR id IN (SELECT CAST(value AS INTEGER) FROM settings
               WHERE key = 'training.certificates_folder');
