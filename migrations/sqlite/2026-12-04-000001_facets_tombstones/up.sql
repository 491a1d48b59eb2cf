-- Facet feeds (tags, authors, sources). `facets` names each tag, author
-- and source name ever written, by a 64-bit hash of kind and value computed
-- by the service: values can be longer than PostgreSQL can index, and the
-- key keeps the big index small. `article_facets` has one row per published
-- article (live or scheduled) and each of its distinct facets, so "the
-- newest live articles with tag X", their count and page 500 are ranges of
-- one index, however many articles there are. The service fills both for
-- existing articles at start.
CREATE TABLE facets (
    facet_key BIGINT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    -- Published articles (live or scheduled) carrying it, kept with the
    -- rows of article_facets: a page's "last" link needs the count, and
    -- counting a busy tag's index range costs milliseconds per 100,000.
    published_count BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE article_facets (
    article_id BIGINT NOT NULL REFERENCES articles (id),
    facet_key BIGINT NOT NULL,
    published_at TIMESTAMP NOT NULL,
    PRIMARY KEY (article_id, facet_key)
);
CREATE INDEX article_facets_by_feed ON article_facets (facet_key, published_at DESC, article_id DESC);

-- A change to a facet's feeds: category_id NULL and facet_key set. Changes
-- with neither are site-wide (site settings); the partial indexes keep both
-- lookups off the many facet rows.
ALTER TABLE changes ADD COLUMN facet_key BIGINT;
CREATE INDEX changes_by_facet ON changes (facet_key, visible, changed_at) WHERE facet_key IS NOT NULL;
CREATE INDEX changes_site_wide ON changes (changed_at) WHERE category_id IS NULL AND facet_key IS NULL;
-- Partial, so that no planner walks it for the category_id IS NULL rows.
DROP INDEX changes_by_category;
CREATE INDEX changes_by_category ON changes (category_id, visible, changed_at) WHERE category_id IS NOT NULL;

-- When a category was last deleted, for the directory's Last-Modified (its
-- changes no longer name an existing category): one row to read, where
-- finding them in the change log would walk it all.
INSERT INTO service_state (name, value, changed_at)
SELECT 'category_deleted', '', MAX(changed_at) FROM changes
WHERE category_id IS NOT NULL AND visible AND category_id NOT IN (SELECT id FROM categories)
HAVING MAX(changed_at) IS NOT NULL;

-- RFC 6721 deleted entries: an article that was live in a scope and left it
-- (deleted, unpublished, moved, retagged). The scope is the site when both
-- category_id and facet_key are NULL, else the category or the facet.
CREATE TABLE tombstones (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    article_id BIGINT NOT NULL,
    category_id BIGINT,
    facet_key BIGINT,
    deleted_at TIMESTAMP NOT NULL
);
CREATE INDEX tombstones_by_category ON tombstones (category_id, deleted_at) WHERE category_id IS NOT NULL;
CREATE INDEX tombstones_by_facet ON tombstones (facet_key, deleted_at) WHERE facet_key IS NOT NULL;
CREATE INDEX tombstones_site_wide ON tombstones (deleted_at) WHERE category_id IS NULL AND facet_key IS NULL;
CREATE INDEX tombstones_by_article ON tombstones (article_id);
-- Expiries, which the outbox announces like a write.
CREATE INDEX tombstones_by_time ON tombstones (deleted_at);
