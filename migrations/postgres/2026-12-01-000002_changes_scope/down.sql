ALTER TABLE changes DROP COLUMN affects_site_feeds;
