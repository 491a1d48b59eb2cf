-- The lead image's size in pixels and its caption, for Media RSS
-- (media:content width/height, media:description). All optional.
ALTER TABLE articles ADD COLUMN image_width INTEGER;
ALTER TABLE articles ADD COLUMN image_height INTEGER;
ALTER TABLE articles ADD COLUMN image_caption TEXT;
