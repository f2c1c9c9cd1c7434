-- Who may be about to reference a committed blob, or is deleting one. A publish claims its
-- digest before committing the blob and gives the claim up in the batch that records the
-- artifact, or when it fails; a failed publish and `uni serve gc` delete a blob only after
-- inserting a deleting claim, which succeeds only while no artifact references the digest and
-- nobody else holds a live claim on it; a publish cannot claim while a deletion is under way.
-- So a blob is never deleted under a publish that is about to record it. A claim older than
-- an hour is a crashed holder's and counts for nothing (gc removes it).
CREATE TABLE blob_claims (
  id TEXT PRIMARY KEY,
  digest TEXT NOT NULL,
  deleting INTEGER NOT NULL DEFAULT 0 CHECK (deleting IN (0, 1)),
  at TEXT NOT NULL
);
CREATE INDEX blob_claims_digest ON blob_claims(digest);
