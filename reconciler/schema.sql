-- The prisn store: desired objects, their revisions, source files, the event
-- log, the state index and API tokens, in one SQLite database
-- (<state-dir>/prisn.db, WAL mode).
--
-- This file is the schema AND its migrations. It is embedded in the binary at
-- build time. Each "-- @version N" line starts the step that takes a database
-- from version N-1 to N; PRAGMA user_version records the version reached.
-- Opening a database runs, in one transaction each, every step above its
-- user_version. A database whose user_version is above the last step here was
-- written by a newer prisn and is refused, never touched.
--
-- Rules for changing it: never edit a released step; add a new
-- "-- @version N+1" step at the end (ALTER TABLE, CREATE INDEX, data fixes).
-- Statements are separated by ";" at the end of a line.
--
-- Conventions: times are Unix milliseconds (UTC); object keys are
-- (kind, namespace, name) where kind is the manifest kind ("Deployment") and
-- namespace is "" for kinds without one.

-- @version 1

-- The state index: one row. It grows by one with every committed change to
-- desired state, so a client can plan against index N and apply only if
-- nothing moved (checkIndex).
CREATE TABLE state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  state_index INTEGER NOT NULL
);
INSERT INTO state (id, state_index) VALUES (1, 0);

-- Desired objects. One row per key, ever: deleting keeps the row (deleted_at)
-- so that its history stays readable and a re-created object continues its
-- generation count.
CREATE TABLE objects (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  -- The content version in effect ("v-" + 8 hex), from the manifest library.
  version TEXT NOT NULL,
  -- +1 every time the stored spec changes (apply, rollback, release).
  generation INTEGER NOT NULL,
  -- Canonical JSON of the object. For sensitive kinds (Secret) the values are
  -- masked here and the whole canonical JSON lives only in `sealed`.
  spec TEXT NOT NULL,
  -- Sensitive objects only: 24-byte nonce || crypto_secretbox(canonical JSON),
  -- under the key file <state-dir>/secret.key. NULL otherwise.
  sealed BLOB,
  -- Keyed BLAKE2b of the full canonical JSON: detects "unchanged" without
  -- decrypting and without exposing a plain hash of secret values.
  spec_hash BLOB NOT NULL,
  -- JSON object {relative path: sha256 hex} into source_blobs.
  sources TEXT NOT NULL DEFAULT '{}',
  -- Who produced the spec in effect: a token name or "source:NAME@sha".
  applied_by TEXT NOT NULL,
  -- The apply set that owns the object; prune of a set touches only its own
  -- members. NULL for objects created outside a set (secret create).
  apply_set TEXT,
  -- The version the last apply (or create) asked for. Equal to `version`
  -- unless a rollback hold pins the object to an older one.
  applied_version TEXT NOT NULL,
  -- Rollback hold: the version pinned, who pinned it and when. NULL = none.
  hold_version TEXT,
  hold_by TEXT,
  hold_at INTEGER,
  -- The state index of the last change to this row.
  state_index INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER,
  UNIQUE (kind, namespace, name)
);
CREATE INDEX objects_by_set ON objects (apply_set) WHERE deleted_at IS NULL;
CREATE INDEX objects_by_namespace ON objects (namespace, kind, name);

-- One revision per object version: the spec and sources that version had, so
-- that rollback can restore it. Re-applying a known version updates its row
-- (generation = when it last became current). Only the newest N per object
-- are kept (the daemon's --revision-limit, default 10), never the ones in
-- effect, last applied or held.
CREATE TABLE revisions (
  object_id INTEGER NOT NULL REFERENCES objects (id),
  version TEXT NOT NULL,
  generation INTEGER NOT NULL,
  spec TEXT NOT NULL,
  sealed BLOB,
  spec_hash BLOB NOT NULL,
  sources TEXT NOT NULL DEFAULT '{}',
  applied_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (object_id, version)
);
CREATE INDEX revisions_by_generation ON revisions (object_id, generation);

-- Source files referenced by objects and revisions, content-addressed by the
-- sha256 of their bytes. Unreferenced blobs are removed when revisions are
-- trimmed.
CREATE TABLE source_blobs (
  sha256 TEXT PRIMARY KEY,
  data BLOB NOT NULL
);

-- Every change and action, append-only. kind/namespace/name are NULL for
-- events that concern no single object (an apply set, a token, the daemon);
-- those are visible to admin tokens only. Messages never hold secret values.
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  kind TEXT,
  namespace TEXT,
  name TEXT,
  type TEXT NOT NULL,
  message TEXT NOT NULL,
  actor TEXT NOT NULL,
  state_index INTEGER NOT NULL
);
CREATE INDEX events_by_object ON events (kind, namespace, name, id);
CREATE INDEX events_by_time ON events (time);

-- API tokens. Only a BLAKE2b hash of each token is stored. namespace NULL
-- means an admin token.
CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  namespace TEXT,
  hash BLOB NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);

-- @version 2

-- Runs: every attempt series of a Job object and every `prisn run`. The
-- converge loop writes a row when a run is created and on every change of
-- state; a daemon that starts finds rows left "running" by one that died and
-- marks them failed. kind/namespace/name name the Job (for `prisn run`, the
-- script's name; no object row exists then).
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  adhoc INTEGER NOT NULL,
  -- pending | running | succeeded | failed
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  exit_code INTEGER,
  reason TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  next_retry_at INTEGER,
  log_path TEXT NOT NULL,
  pid INTEGER NOT NULL,
  degraded TEXT NOT NULL
);
CREATE INDEX runs_by_job ON runs (namespace, name, created_at);
CREATE INDEX runs_by_time ON runs (created_at);
CREATE INDEX runs_unfinished ON runs (state) WHERE state IN ('pending', 'running');

-- What the converge loop learned about a workload that must survive a
-- restart: the last version that was fully rolled out and healthy (the
-- target of autoRevert).
CREATE TABLE workload_state (
  kind TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  healthy_version TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (kind, namespace, name)
);

-- @version 3

-- Cron schedules: what the scheduler must remember across restarts so that
-- a schedule never fires twice and, after downtime, catches up at most once.
CREATE TABLE cron_state (
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  -- Every scheduled time at or before this (Unix ms) is handled: started,
  -- skipped or missed. Starts at the time the scheduler first saw the
  -- CronJob, so that it never runs for times before it existed.
  handled_at INTEGER NOT NULL,
  -- The scheduled time (not the start time) of the last fire that started a
  -- run, when that run started, and its id.
  last_scheduled_at INTEGER,
  last_started_at INTEGER,
  last_run TEXT,
  -- spec.suspend as the scheduler last saw it: a resume owes no catch-up.
  suspended INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (namespace, name)
);

-- @version 4

-- GitOps sources: a git repository or a directory the daemon watches and
-- applies as one apply set named "source:NAME".
CREATE TABLE sources (
  name TEXT PRIMARY KEY,
  -- "git" | "dir"
  type TEXT NOT NULL,
  -- The whole source definition as JSON (url, ref, path, interval, secret).
  spec TEXT NOT NULL,
  suspended INTEGER NOT NULL DEFAULT 0,
  last_fetched_commit TEXT,
  last_fetched_at INTEGER,
  last_applied_commit TEXT,
  last_applied_at INTEGER,
  -- The last failure (fetch, load, validate or apply), JSON; NULL when the
  -- last attempt succeeded.
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- @version 5

-- Service addresses: each Deployment with a port keeps a loopback address
-- (and, for `port: auto`, the port picked for it) across restarts and
-- re-applies. The row goes when the Deployment is deleted or loses its port.
CREATE TABLE service_addresses (
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  address TEXT NOT NULL UNIQUE,
  -- The port the proxy serves; for `port: auto` the one picked, else the
  -- declared one.
  port INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (namespace, name)
);

-- @version 6

-- Webhook deliveries accepted in the last 24 hours, by source: a delivery
-- seen again (a redelivery or a replay) is answered without a second sync.
-- `key` is a hex SHA-256 of a delivery id or of the request's signature
-- (server/webhook.h). Bounded: old rows and all but the newest rows of a
-- source go at each insert.
CREATE TABLE webhook_deliveries (
  source TEXT NOT NULL,
  key TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (source, key)
) WITHOUT ROWID;
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (source, received_at);

-- @version 7

-- Who owns each apply set (docs/API.md, "Apply sets and ownership"): the
-- namespace of the token that created it, or NULL for an admin. A namespace
-- token applies only into sets its namespace owns. Sets named source:NAME
-- belong to their source and have no row. A set made before this step gets
-- its row at its next apply: the namespace all its live members share, else
-- an admin.
CREATE TABLE apply_sets (
  name TEXT PRIMARY KEY,
  namespace TEXT,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
