// Ordered schema migrations. Migration N brings a database from user_version N-1 to N; each runs
// in one transaction with the user_version bump, so a crash leaves the previous version intact.
// Never edit a shipped migration: add the next one.
//
// Conventions: times are milliseconds since the epoch; paths in samples are relative to the
// dataset's images/masks folder, '/'-separated; width/height are 0 when unknown (a broken pair),
// so every sort column is NOT NULL and keyset paging needs no NULL cases.

export interface Migration {
  version: number
  name: string
  sql: string
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'initial catalog',
    sql: `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE datasets (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL,
  images_dir    TEXT NOT NULL,
  masks_dir     TEXT,                       -- NULL: one folder holds images and masks
  mask_patterns TEXT NOT NULL,              -- JSON array of patterns with {stem}
  created_at    INTEGER NOT NULL,
  last_scan_at  INTEGER
);
CREATE UNIQUE INDEX datasets_dirs ON datasets(images_dir, ifnull(masks_dir, ''));

CREATE TABLE samples (
  id            INTEGER PRIMARY KEY,
  dataset_id    INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  key           TEXT NOT NULL,              -- image path relative to the root, without extension
  image_path    TEXT,                       -- relative to datasets.images_dir; NULL for a lone mask
  mask_path     TEXT,                       -- relative to datasets.masks_dir (or images_dir)
  width         INTEGER NOT NULL DEFAULT 0, -- after EXIF orientation; 0 = unknown
  height        INTEGER NOT NULL DEFAULT 0,
  channels      INTEGER,
  bit_depth     INTEGER,
  mask_depth    INTEGER,
  image_format  TEXT,
  orientation   INTEGER,
  image_hash    TEXT,
  mask_hash     TEXT,
  image_bytes   INTEGER,
  mask_bytes    INTEGER,
  split         TEXT NOT NULL DEFAULT 'unassigned' CHECK (split IN ('train','val','test','unassigned')),
  status        TEXT NOT NULL DEFAULT 'unreviewed' CHECK (status IN ('unreviewed','accepted','rejected','needs-fix')),
  notes         TEXT NOT NULL DEFAULT '',
  error_kind    TEXT,                       -- NULL = healthy; else a SampleErrorKind
  error_message TEXT,
  class_hash    TEXT,                       -- mask_hash the class pass last ran on (NULL = not scanned)
  class_set     TEXT,                       -- sorted class indices in the mask, e.g. '0,1,4'
  scan_id       INTEGER NOT NULL,           -- the import run that last saw this pair
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX samples_dataset_key ON samples(dataset_id, key);
CREATE INDEX samples_key ON samples(key, id);
CREATE INDEX samples_split_key ON samples(split, key, id);
CREATE INDEX samples_status_key ON samples(status, key, id);
CREATE INDEX samples_error_key ON samples(error_kind, key, id);
CREATE INDEX samples_width ON samples(width, id);
CREATE INDEX samples_height ON samples(height, id);
CREATE INDEX samples_updated ON samples(updated_at, id);
CREATE INDEX samples_image_hash ON samples(image_hash);
CREATE INDEX samples_scan ON samples(dataset_id, scan_id);

CREATE TABLE classes (
  idx          INTEGER PRIMARY KEY,         -- the value in the mask
  name         TEXT NOT NULL,
  color        TEXT NOT NULL,               -- '#rrggbb'
  ignore       INTEGER NOT NULL DEFAULT 0,
  pixel_count  INTEGER,
  sample_count INTEGER
);

CREATE TABLE sample_classes (
  class_idx INTEGER NOT NULL,
  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  pixels    INTEGER NOT NULL,
  PRIMARY KEY (class_idx, sample_id)
) WITHOUT ROWID;
CREATE INDEX sample_classes_sample ON sample_classes(sample_id);

CREATE TABLE tags (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE sample_tags (
  tag_id    INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  PRIMARY KEY (tag_id, sample_id)
) WITHOUT ROWID;
CREATE INDEX sample_tags_sample ON sample_tags(sample_id, tag_id);

CREATE TABLE recipes (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE recipe_versions (
  id         INTEGER PRIMARY KEY,
  recipe_id  INTEGER NOT NULL REFERENCES recipes(id),
  version    INTEGER NOT NULL,
  json       TEXT NOT NULL,
  note       TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  UNIQUE (recipe_id, version)
);
-- A saved version is what an export recorded: it never changes and is never deleted.
CREATE TRIGGER recipe_versions_immutable BEFORE UPDATE ON recipe_versions
BEGIN SELECT RAISE(ABORT, 'recipe versions are immutable'); END;
CREATE TRIGGER recipe_versions_undeletable BEFORE DELETE ON recipe_versions
BEGIN SELECT RAISE(ABORT, 'recipe versions are immutable'); END;

CREATE TABLE exports (
  id                INTEGER PRIMARY KEY,
  recipe_version_id INTEGER REFERENCES recipe_versions(id),
  seed              INTEGER NOT NULL,
  options           TEXT NOT NULL,          -- JSON
  status            TEXT NOT NULL CHECK (status IN ('running','done','failed','cancelled')),
  out               TEXT NOT NULL,
  outputs           INTEGER,
  failed            INTEGER,
  error             TEXT,
  started_at        INTEGER NOT NULL,
  ended_at          INTEGER
);
CREATE INDEX exports_started ON exports(started_at);

CREATE TABLE jobs (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  dataset_id  INTEGER REFERENCES datasets(id) ON DELETE CASCADE,
  status      TEXT NOT NULL,                -- running | done | failed | cancelled
  params      TEXT NOT NULL,                -- JSON
  checkpoint  TEXT,                         -- JSON: where an interrupted run resumes
  result      TEXT,                         -- JSON: the summary
  started_at  INTEGER NOT NULL,
  ended_at    INTEGER
);
CREATE INDEX jobs_kind_status ON jobs(kind, status, started_at);

CREATE TABLE stats (
  split       TEXT PRIMARY KEY,
  json        TEXT NOT NULL,
  computed_at INTEGER NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'split-prefixed sort indexes for grid pages',
    sql: `
CREATE INDEX samples_split_width ON samples(split, width, id);
CREATE INDEX samples_split_height ON samples(split, height, id);
CREATE INDEX samples_split_updated ON samples(split, updated_at, id);
CREATE INDEX samples_split_id ON samples(split, id);
`,
  },
  {
    version: 3,
    name: 'tag pages in key order: sample_tags carries the sample key',
    // "tag X ordered by key" becomes an index range (sample_tags_key), so a tag-first page walk
    // visits only tagged rows and stops at the tag's last match instead of scanning the rest of
    // the sort index. samples.key never changes after import (and is never empty); the triggers
    // fill the copy for a writer that leaves it out and follow a key change. (Checking every
    // insert against samples would double the cost of a 100,000-sample bulk tag.)
    sql: `
ALTER TABLE sample_tags ADD COLUMN sort_key TEXT NOT NULL DEFAULT '';
UPDATE sample_tags SET sort_key = (SELECT key FROM samples WHERE id = sample_id);
CREATE INDEX sample_tags_key ON sample_tags(tag_id, sort_key, sample_id);
CREATE TRIGGER sample_tags_sort_key AFTER INSERT ON sample_tags
WHEN NEW.sort_key = ''
BEGIN
  UPDATE sample_tags SET sort_key = (SELECT key FROM samples WHERE id = NEW.sample_id)
  WHERE tag_id = NEW.tag_id AND sample_id = NEW.sample_id;
END;
CREATE TRIGGER samples_key_to_tags AFTER UPDATE OF key ON samples
BEGIN UPDATE sample_tags SET sort_key = NEW.key WHERE sample_id = NEW.id; END;
`,
  },
  {
    version: 4,
    name: 'split+status prefixed sort indexes for grid pages',
    // "split = A AND status = B ORDER BY x" walks exactly its matches: without these the walk
    // over (split, x, id) reads ~4 table rows per match to test the status.
    sql: `
CREATE INDEX samples_split_status_key ON samples(split, status, key, id);
CREATE INDEX samples_split_status_width ON samples(split, status, width, id);
CREATE INDEX samples_split_status_height ON samples(split, status, height, id);
CREATE INDEX samples_split_status_updated ON samples(split, status, updated_at, id);
CREATE INDEX samples_split_status_id ON samples(split, status, id);
`,
  },
  {
    version: 5,
    name: 'mask versions, the mask save journal, class display order',
    // Labeling (issue 11). A mask's earlier content is copied to <project>/history/ (named by its
    // sha256) and recorded in mask_versions BEFORE the mask file is replaced; mask_journal holds
    // the replacement in progress (written with the version, deleted in the transaction that
    // records the new content), so a process killed between the rename and that transaction is
    // settled from the file on disk (catalog/mask-store.ts). A version outlives its sample's row.
    sql: `
CREATE TABLE mask_versions (
  id          INTEGER PRIMARY KEY,
  sample_id   INTEGER REFERENCES samples(id) ON DELETE SET NULL,
  sample_key  TEXT NOT NULL,
  reason      TEXT NOT NULL CHECK (reason IN ('save','restore','remap','import')),
  hash        TEXT NOT NULL,              -- sha256 (hex) of the kept content
  bytes       INTEGER NOT NULL,
  file        TEXT NOT NULL,              -- the copy, relative to the project: history/ab/<hash>.png
  mask_path   TEXT NOT NULL,              -- where it was current, relative to the dataset's masks folder
  replaced_by TEXT,                       -- mask_hash (sha1) of the content that replaced it
  job_id      TEXT,                       -- the remap or annotation import that replaced it
  author      TEXT NOT NULL,
  note        TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL
);
CREATE INDEX mask_versions_sample ON mask_versions(sample_id, id);
CREATE INDEX mask_versions_job ON mask_versions(job_id) WHERE job_id IS NOT NULL;

CREATE TABLE mask_journal (
  id          INTEGER PRIMARY KEY,
  sample_id   INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  version_id  INTEGER REFERENCES mask_versions(id) ON DELETE SET NULL,
  mask_path   TEXT NOT NULL,              -- the file being replaced or created (relative)
  new_hash    TEXT NOT NULL,              -- sha1 of the content being written
  pid         INTEGER NOT NULL,
  host        TEXT NOT NULL,
  started_at  INTEGER NOT NULL
);

ALTER TABLE classes ADD COLUMN display_order INTEGER;
`,
  },
  {
    version: 6,
    name: 'file_checks: the verdict of the whole-file checks, by content hash',
    // io/verify's verdict on each file the import read, keyed by the sha256 of its bytes (what an
    // export hashes), with the sha1 samples record for the same bytes (how a sample finds it). A
    // sound verdict lets an export read just a crop's window of a file whose bytes hash the same.
    sql: `
CREATE TABLE file_checks (
  sha256     TEXT PRIMARY KEY,
  sha1       TEXT NOT NULL,
  ok         INTEGER NOT NULL,              -- 1: sound; 0: code + problem say why not
  code       TEXT,                          -- CORRUPT | TOO_LARGE | UNSUPPORTED_FORMAT
  problem    TEXT,
  format     TEXT NOT NULL,
  checker    INTEGER NOT NULL,              -- io/verify CHECKER_VERSION
  checked_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX file_checks_sha1 ON file_checks(sha1);
`,
  },
  {
    version: 7,
    name: 'class filters by class set: the distinct sets, kept by triggers, and an index over them',
    // "Class 7 present" / "class 1 absent" become "class_set IN (the sets that qualify)": the
    // qualifying sets come from this small table (exact: kept by triggers as samples change), a
    // page walks its sort index testing a column instead of probing sample_classes per row, and a
    // small match (a common class absent) is fetched through samples_class_set_key, never by
    // scanning every sample. A set whose last sample went keeps a 0 count (ignored).
    sql: `
CREATE TABLE class_sets (
  class_set TEXT PRIMARY KEY,             -- as samples.class_set: sorted class indices, '0,1,4'
  samples   INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO class_sets(class_set, samples) SELECT class_set, COUNT(*) FROM samples WHERE class_set IS NOT NULL GROUP BY class_set;
CREATE INDEX samples_class_set_key ON samples(class_set, key, id);

CREATE TRIGGER class_sets_insert AFTER INSERT ON samples WHEN NEW.class_set IS NOT NULL BEGIN
  INSERT INTO class_sets(class_set, samples) VALUES (NEW.class_set, 1) ON CONFLICT(class_set) DO UPDATE SET samples = samples + 1;
END;
CREATE TRIGGER class_sets_delete AFTER DELETE ON samples WHEN OLD.class_set IS NOT NULL BEGIN
  UPDATE class_sets SET samples = samples - 1 WHERE class_set = OLD.class_set;
END;
CREATE TRIGGER class_sets_update AFTER UPDATE OF class_set ON samples WHEN OLD.class_set IS NOT NEW.class_set BEGIN
  UPDATE class_sets SET samples = samples - 1 WHERE class_set = OLD.class_set;
  INSERT INTO class_sets(class_set, samples) SELECT NEW.class_set, 1 WHERE NEW.class_set IS NOT NULL
    ON CONFLICT(class_set) DO UPDATE SET samples = samples + 1;
END;
`,
  },
  {
    version: 8,
    name: 'the key-sort indexes cover class_set',
    // A class filter tests samples.class_set on each row a page or a random jump walks in sort
    // order. With class_set in the sort index that test reads the index entry, not the table row:
    // a jump to the middle of 950,000 "class 7 absent" matches steps index entries only (it read
    // one table row per step). Same names, so the planner's INDEXED BY clauses are unchanged.
    sql: `
DROP INDEX samples_key;
CREATE INDEX samples_key ON samples(key, id, class_set);
DROP INDEX samples_split_key;
CREATE INDEX samples_split_key ON samples(split, key, id, class_set);
`,
  },
]

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1].version
