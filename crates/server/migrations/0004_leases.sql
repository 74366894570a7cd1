-- Claims with leases: the worker holding a job renews lease_until while it
-- converts; any process returns a job whose lease ran out to the queue.
ALTER TABLE jobs ADD COLUMN worker_id TEXT;
ALTER TABLE jobs ADD COLUMN lease_until BIGINT;
-- Why a job failed, for programs (converter_crashed, time_limit, invalid_input...).
ALTER TABLE jobs ADD COLUMN error_code TEXT;
CREATE INDEX jobs_lease ON jobs (status, lease_until);
