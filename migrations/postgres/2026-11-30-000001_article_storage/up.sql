-- Article text was compressed with pglz on every insert: most of the
-- server's time in a bulk import. Rows up to a page (8160 bytes: nearly every
-- news article) now stay inline and uncompressed; larger rows are compressed
-- with lz4 where the server has it (PostgreSQL 14+ built with lz4), else pglz.
ALTER TABLE articles SET (toast_tuple_target = 8160);

DO $$
BEGIN
    EXECUTE 'ALTER TABLE articles
        ALTER COLUMN summary SET COMPRESSION lz4,
        ALTER COLUMN content_html SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    RAISE NOTICE 'lz4 compression is not available: article text keeps pglz';
END
$$;
