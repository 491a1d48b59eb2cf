ALTER TABLE articles DROP COLUMN image_caption;
ALTER TABLE articles DROP COLUMN image_height;
ALTER TABLE articles DROP COLUMN image_width;
