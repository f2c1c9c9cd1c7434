-- What a mirror keeps beside the packages it caches. Mirrored packages live in the same
-- tables as local ones (packages, versions, artifacts), so every read route serves them
-- unchanged; these tables only say where they came from and how fresh they are.

-- One row per package cached from an upstream: its ETag there, for If-None-Match, and when
-- the upstream last confirmed this copy (max-age counts from it).
CREATE TABLE mirror_packages (
  package TEXT PRIMARY KEY,           -- namespace/name
  upstream TEXT NOT NULL,
  etag TEXT,
  fetched_at TEXT NOT NULL
);

-- The back-off: after a failure, no request goes to that upstream before retry_at. Kept in
-- the Db, not in memory, so that every process or isolate serving the mirror honours it.
CREATE TABLE upstream_health (
  upstream TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('down', 'denied')),
  last_error TEXT NOT NULL,
  failed_at TEXT NOT NULL,
  retry_at TEXT NOT NULL
);

-- How far `uni mirror sync` (or `uni serve --follow`) has applied an origin's /v1/changes
-- feed: the seq of the last change whose data is stored.
CREATE TABLE sync_state (
  origin TEXT PRIMARY KEY,
  position INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
