-- The package document's versions, kept as JSON on the package row: GET /v1/packages/:ns/:name
-- is the hottest read and then costs one indexed row. Triggers keep it in step with every
-- write to versions and artifacts, whoever makes it (publish, yank, a mirror applying an
-- upstream), inside the writer's own transaction.

-- version -> {dependencies, yanked, yankReason?, publishedAt, artifacts: {arch: {digest, size}}}
CREATE VIEW package_versions_json AS
SELECT v.package AS package,
       json_group_object(v.version, json_patch(json_object(
         'dependencies', json(v.dependencies),
         'yanked', json(CASE v.yanked WHEN 1 THEN 'true' ELSE 'false' END),
         'publishedAt', v.published_at,
         'artifacts', (SELECT json_group_object(a.arch, json_object('digest', a.digest, 'size', a.size))
                       FROM artifacts a WHERE a.package = v.package AND a.version = v.version)),
         CASE WHEN v.yank_reason IS NULL THEN '{}' ELSE json_object('yankReason', v.yank_reason) END)) AS versions
FROM versions v
GROUP BY v.package;

ALTER TABLE packages ADD COLUMN versions_json TEXT NOT NULL DEFAULT '{}';

UPDATE packages SET versions_json = coalesce((SELECT versions FROM package_versions_json WHERE package = packages.name), '{}');

CREATE TRIGGER versions_doc_ai AFTER INSERT ON versions BEGIN
  UPDATE packages SET versions_json = coalesce((SELECT versions FROM package_versions_json WHERE package = new.package), '{}') WHERE name = new.package;
END;
CREATE TRIGGER versions_doc_au AFTER UPDATE ON versions BEGIN
  UPDATE packages SET versions_json = coalesce((SELECT versions FROM package_versions_json WHERE package = new.package), '{}') WHERE name = new.package;
END;
CREATE TRIGGER versions_doc_ad AFTER DELETE ON versions BEGIN
  UPDATE packages SET versions_json = coalesce((SELECT versions FROM package_versions_json WHERE package = old.package), '{}') WHERE name = old.package;
END;
CREATE TRIGGER artifacts_doc_ai AFTER INSERT ON artifacts BEGIN
  UPDATE packages SET versions_json = coalesce((SELECT versions FROM package_versions_json WHERE package = new.package), '{}') WHERE name = new.package;
END;
CREATE TRIGGER artifacts_doc_ad AFTER DELETE ON artifacts BEGIN
  UPDATE packages SET versions_json = coalesce((SELECT versions FROM package_versions_json WHERE package = old.package), '{}') WHERE name = old.package;
END;

-- The search index needs refreshing only when a searched column changes, not on every
-- versions_json update.
DROP TRIGGER packages_au;
CREATE TRIGGER packages_au AFTER UPDATE OF short_name, namespace, description ON packages BEGIN
  INSERT INTO package_search(package_search, rowid, short_name, namespace, description)
  VALUES ('delete', old.id, old.short_name, old.namespace, coalesce(old.description, ''));
  INSERT INTO package_search(rowid, short_name, namespace, description)
  VALUES (new.id, new.short_name, new.namespace, coalesce(new.description, ''));
END;
