DROP INDEX changes_by_category;
CREATE INDEX changes_by_category ON changes (category_id, changed_at);
ALTER TABLE changes DROP COLUMN visible;
