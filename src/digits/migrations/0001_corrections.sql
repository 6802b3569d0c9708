-- Corrections: what a person said an image really shows, with what the model answered.
-- One schema for SQLite and PostgreSQL: {{id}}, {{bytes}} and {{real}} are the only words
-- that differ, and digits.stores fills them in for each.
CREATE TABLE corrections (
    id {{id}},
    -- UTC, ISO 8601 with seconds ("2026-11-26T13:08:20Z"): sorts as text in both databases.
    created_at TEXT NOT NULL,
    -- 0-9, or 10 for "not a digit".
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 10),
    -- The image exactly as it arrived (file bytes).
    image {{bytes}} NOT NULL,
    -- What the model saw: 28x28 float32 little-endian, 3136 bytes, values in [0, 1].
    model_input {{bytes}} NOT NULL,
    -- The model's answer: 0-9, 10 for "not a digit".
    predicted INTEGER NOT NULL CHECK (predicted BETWEEN 0 AND 10),
    -- Its probability, 0-1.
    confidence {{real}} NOT NULL,
    -- The model file's name and the sha256 of its bytes.
    model TEXT NOT NULL,
    model_sha256 TEXT NOT NULL,
    -- Where the correction came from: page, api or cli.
    source TEXT NOT NULL CHECK (source IN ('page', 'api', 'cli')),
    -- Whose handwriting this is (optional).
    writer TEXT
);
CREATE INDEX corrections_by_writer ON corrections (writer);
