-- Whether a change shows in the site-wide feeds. A category created,
-- deleted or edited while it has no live article changes only its own feeds;
-- counting it for the site-wide feeds moved their lastBuildDate, ETag and
-- Last-Modified with no visible change.
ALTER TABLE changes ADD COLUMN affects_site_feeds BOOLEAN NOT NULL DEFAULT TRUE;
