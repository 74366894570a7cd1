-- What a completed conversion repaired or left out, one note per line, so
-- the client reads it with the job (`warnings`).
ALTER TABLE jobs ADD COLUMN notes TEXT;
