-- An upload is claimed before its bytes are accepted, so two concurrent
-- PUTs to one URL cannot both write; a failed upload gives the claim back.
ALTER TABLE files ADD COLUMN uploading_since BIGINT;

-- Fair claims count each owner's running and waiting jobs.
CREATE INDEX jobs_owner_status ON jobs (owner, status);
