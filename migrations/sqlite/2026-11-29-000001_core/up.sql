-- Times are UTC, to the microsecond, in TIMESTAMP columns (text in SQLite).

CREATE TABLE categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    copyright TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    external_id TEXT UNIQUE,
    category_id BIGINT NOT NULL REFERENCES categories (id),
    title TEXT NOT NULL,
    summary TEXT,
    content_html TEXT,
    url TEXT,
    author TEXT,
    -- JSON array of {name, role}
    contributors TEXT NOT NULL,
    source_name TEXT,
    source_url TEXT,
    source_feed_url TEXT,
    copyright TEXT,
    -- JSON array of strings
    tags TEXT NOT NULL,
    image_url TEXT,
    image_mime_type TEXT,
    image_length BIGINT,
    status TEXT NOT NULL CHECK (status IN ('published', 'draft')),
    published_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- "newest N published items of category X" and of the whole site
CREATE INDEX articles_by_category_feed ON articles (category_id, status, published_at DESC, id DESC);
CREATE INDEX articles_by_feed ON articles (status, published_at DESC, id DESC);
CREATE INDEX articles_by_published ON articles (published_at DESC, id DESC);

-- One row per write transaction and category it touched (both sides of a
-- move; NULL for a change that affects every feed, such as site settings).
-- "When did anything in category X last change, deletions included" is one
-- indexed max(); the id is a sequence other processes poll to notice writes.
CREATE TABLE changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    category_id BIGINT,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX changes_by_category ON changes (category_id, changed_at);
CREATE INDEX changes_by_time ON changes (changed_at);

-- Small named values the service keeps about itself (e.g. the fingerprint of
-- the site settings it last served with).
CREATE TABLE service_state (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    -- SHA-256 of the token, hex; the token itself is never stored
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
