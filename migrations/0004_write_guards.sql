-- Rules that must hold when a write commits, not only when its request was checked: two
-- first publishes into one new namespace (or of one new package, one private and one public)
-- both pass their checks before either commits; a package published here while
-- `uni mirror sync` downloads the origin's copy of it. A batch inserts a row here only when its
-- rule is broken at that point; the row's CHECK then fails the whole batch, so the table
-- always stays empty. The failed constraint's name says which rule it was.
CREATE TABLE write_guards (
  rule TEXT NOT NULL,
  CONSTRAINT namespace_owner CHECK (rule <> 'namespace_owner'),
  CONSTRAINT visibility CHECK (rule <> 'visibility'),
  CONSTRAINT local_package CHECK (rule <> 'local_package')
);
