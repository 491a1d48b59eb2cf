-- WebSub publish pings waiting to be sent: an outbox, so that pings survive
-- a restart and several nodes share the work. A row is claimed by the node
-- sending it (claimed_until) and deleted once the hub accepted it.
CREATE TABLE websub_pings (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    hub TEXT NOT NULL,
    topic TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX websub_pings_due ON websub_pings (next_attempt_at);
CREATE INDEX websub_pings_target ON websub_pings (hub, topic);
