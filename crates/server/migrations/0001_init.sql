-- Written in the SQL that SQLite and PostgreSQL both accept: BIGINT for
-- integers and times (milliseconds since 1970), DOUBLE PRECISION for floats.

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    plan TEXT NOT NULL,
    label TEXT,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE files (
    id TEXT PRIMARY KEY,
    file_key TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    declared_size BIGINT NOT NULL,
    size BIGINT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX files_expires ON files (expires_at);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    plan TEXT NOT NULL,
    file_id TEXT NOT NULL,
    source_format TEXT NOT NULL,
    target_format TEXT NOT NULL,
    options TEXT NOT NULL,
    file_name TEXT NOT NULL,
    status TEXT NOT NULL,
    progress BIGINT NOT NULL,
    error TEXT,
    result_key TEXT,
    result_size BIGINT,
    cpu_seconds DOUBLE PRECISION NOT NULL,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    completed_at BIGINT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX jobs_queue ON jobs (status, created_at);
CREATE INDEX jobs_expires ON jobs (expires_at);

CREATE TABLE usage_counters (
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (owner, kind, window_start)
);
