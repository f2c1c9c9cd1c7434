-- The registry's metadata. Applied by server/adapters/sqlite-migrate.ts on Node and by
-- `wrangler d1 migrations apply` on Workers; both record it in d1_migrations.

-- Who owns a namespace: the owner of the first token that published into it (admins own
-- `library`). Tokens name their owner; several tokens may share one.
CREATE TABLE namespaces (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE packages (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,          -- namespace/name
  namespace TEXT NOT NULL,
  short_name TEXT NOT NULL,
  private INTEGER NOT NULL DEFAULT 0,
  description TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX packages_namespace ON packages(namespace);

CREATE TABLE versions (
  package TEXT NOT NULL REFERENCES packages(name),
  version TEXT NOT NULL,
  dependencies TEXT NOT NULL,         -- JSON object: name -> npm range
  yanked INTEGER NOT NULL DEFAULT 0,
  yank_reason TEXT,
  published_at TEXT NOT NULL,
  PRIMARY KEY (package, version)
);

CREATE TABLE artifacts (
  package TEXT NOT NULL,
  version TEXT NOT NULL,
  arch TEXT NOT NULL,
  digest TEXT NOT NULL,               -- sha256:<hex> of the compressed archive
  size INTEGER NOT NULL,
  manifest TEXT NOT NULL,             -- JSON, as published
  files TEXT NOT NULL,                -- JSON array: the file index
  published_at TEXT NOT NULL,
  PRIMARY KEY (package, version, arch),
  FOREIGN KEY (package, version) REFERENCES versions(package, version)
);
CREATE INDEX artifacts_digest ON artifacts(digest);
CREATE INDEX artifacts_arch ON artifacts(arch, package);

-- The feed mirrors follow. AUTOINCREMENT: a sequence number is never reused.
CREATE TABLE changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL CHECK (type IN ('publish', 'yank', 'unyank')),
  package TEXT NOT NULL,
  version TEXT NOT NULL,
  arch TEXT,
  digest TEXT,
  at TEXT NOT NULL
);

CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,          -- sha256 hex of the token; the token itself is never stored
  name TEXT,
  owner TEXT NOT NULL,
  scopes TEXT NOT NULL,               -- space-separated: read publish admin
  namespace TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  revoked_at TEXT,
  created_by TEXT
);

-- Search over name, namespace and description, kept in step with packages by triggers.
CREATE VIRTUAL TABLE package_search USING fts5(
  short_name, namespace, description,
  content = 'packages', content_rowid = 'id'
);
CREATE TRIGGER packages_ai AFTER INSERT ON packages BEGIN
  INSERT INTO package_search(rowid, short_name, namespace, description)
  VALUES (new.id, new.short_name, new.namespace, coalesce(new.description, ''));
END;
CREATE TRIGGER packages_au AFTER UPDATE ON packages BEGIN
  INSERT INTO package_search(package_search, rowid, short_name, namespace, description)
  VALUES ('delete', old.id, old.short_name, old.namespace, coalesce(old.description, ''));
  INSERT INTO package_search(rowid, short_name, namespace, description)
  VALUES (new.id, new.short_name, new.namespace, coalesce(new.description, ''));
END;
CREATE TRIGGER packages_ad AFTER DELETE ON packages BEGIN
  INSERT INTO package_search(package_search, rowid, short_name, namespace, description)
  VALUES ('delete', old.id, old.short_name, old.namespace, coalesce(old.description, ''));
END;
