-- Whether anyone can see the change. A scheduled article written before its
-- time changes nothing visible: its row only tells the caches to render
-- again (the time they wait for changed); Last-Modified, lastBuildDate and
-- WebSub pings count visible changes only, and the article's publication
-- time once it goes live.
ALTER TABLE changes ADD COLUMN visible BOOLEAN NOT NULL DEFAULT TRUE;
DROP INDEX changes_by_category;
CREATE INDEX changes_by_category ON changes (category_id, visible, changed_at);
