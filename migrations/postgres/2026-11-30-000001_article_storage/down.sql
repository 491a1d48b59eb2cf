ALTER TABLE articles RESET (toast_tuple_target);

DO $$
BEGIN
    EXECUTE 'ALTER TABLE articles
        ALTER COLUMN summary SET COMPRESSION default,
        ALTER COLUMN content_html SET COMPRESSION default';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    NULL;
END
$$;
