-- What the web UI (server/web/) keeps: login sessions, and which packages depend on which.

-- A browser's login. The cookie holds a random id; only its sha256 is stored, as for tokens,
-- so that a copy of the database opens no session. A session acts as the token it was opened
-- with, which is checked again on every request: revoking or expiring the token ends it.
CREATE TABLE web_sessions (
  id_hash TEXT PRIMARY KEY,           -- sha256 hex of the cookie's value
  token_id TEXT NOT NULL REFERENCES tokens(id),
  csrf TEXT NOT NULL,                 -- the value forms carry back, compared in constant time
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions(expires_at);

-- One row per dependency of a version, so that a package page lists the packages that
-- depend on it with an index lookup instead of reading every version's JSON. Versions are
-- immutable once published; triggers keep this in step with inserts and deletes, whoever
-- writes them (publish, a mirror applying its upstream).
CREATE TABLE dependency_edges (
  dependency TEXT NOT NULL,           -- namespace/name depended on
  package TEXT NOT NULL,              -- namespace/name of the dependent
  version TEXT NOT NULL,
  range TEXT NOT NULL,
  PRIMARY KEY (dependency, package, version)
);

INSERT INTO dependency_edges (dependency, package, version, range)
SELECT d.key, v.package, v.version, d.value FROM versions v, json_each(v.dependencies) d;

CREATE TRIGGER versions_edges_ai AFTER INSERT ON versions BEGIN
  INSERT OR IGNORE INTO dependency_edges (dependency, package, version, range)
  SELECT d.key, new.package, new.version, d.value FROM json_each(new.dependencies) d;
END;
CREATE TRIGGER versions_edges_ad AFTER DELETE ON versions BEGIN
  DELETE FROM dependency_edges WHERE package = old.package AND version = old.version;
END;
