-- The outbox carries purges for caches in front (SPEC §8) beside WebSub
-- pings: `kind` says which. For a ping, `hub` is the hub and `topic` the
-- feed URL; for a purge, `hub` is the target as configured (--purge) and
-- `topic` one surrogate key (`purge-key`) or, for webhooks, one changed
-- feed URL (`purge-url`). One row per target and key lets a key already
-- waiting cover a new change, and the sender joins every due row of a
-- target into one request.
ALTER TABLE websub_pings ADD COLUMN kind TEXT NOT NULL DEFAULT 'websub';
