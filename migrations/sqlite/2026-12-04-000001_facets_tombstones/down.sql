DROP TABLE tombstones;
DROP INDEX changes_site_wide;
DROP INDEX changes_by_facet;
ALTER TABLE changes DROP COLUMN facet_key;
DROP TABLE article_facets;
DROP TABLE facets;
