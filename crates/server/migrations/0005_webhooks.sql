-- Webhooks: endpoints a client registers (or names on a job), deliveries
-- (one per job, endpoint and event, retried on a schedule by any worker
-- process, with a lease like jobs), and every attempt for the job's page.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    url TEXT NOT NULL,
    -- ",job.completed,job.failed,": the events it wants.
    events TEXT NOT NULL,
    -- 1 for an endpoint made by a job's webhookUrl: only jobs naming it.
    named_only BIGINT NOT NULL,
    secret TEXT NOT NULL,
    -- After a rotation the old secret signs too, until old_secret_until.
    old_secret TEXT,
    old_secret_until BIGINT,
    disabled_at BIGINT,
    disabled_reason TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_owner ON webhook_endpoints (owner, named_only);
CREATE TABLE job_webhooks (
    job_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    PRIMARY KEY (job_id, endpoint_id)
);
CREATE TABLE webhook_deliveries (
    -- job id, endpoint id and event: enqueued once whoever enqueues it.
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    event TEXT NOT NULL,
    -- pending, delivered, failed, cancelled
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    worker_id TEXT,
    lease_until BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_at);
CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id);
CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL,
    job_id TEXT NOT NULL,
    attempted_at BIGINT NOT NULL,
    -- The HTTP status, or null when no response came.
    status BIGINT,
    duration_ms BIGINT NOT NULL,
    error TEXT
);
CREATE INDEX webhook_attempts_job ON webhook_attempts (job_id);
