import { describe, expect, it } from 'vitest';
import { s3BlobStoreFromUrl } from '../../server/adapters/s3-url.js';

describe('s3BlobStoreFromUrl', () => {
  it('takes the bucket, prefix and S3 options from the URL, and the credentials from the environment', async () => {
    process.env['AWS_ACCESS_KEY_ID'] = 'AKIDEXAMPLE';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'secret';
    const store = s3BlobStoreFromUrl('s3://bucket/some/prefix?endpoint=http%3A%2F%2F127.0.0.1%3A9&region=auto&forcePathStyle=true&presign=true');
    // presign signs locally: the URL shows the endpoint, path style, bucket, prefix and region.
    const url = await store.presign!(`sha256:${'ab'.repeat(32)}`, 60);
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:9/bucket/some/prefix/sha256/${'ab'.repeat(32)}\\?`));
    expect(url).toContain('X-Amz-Credential=AKIDEXAMPLE%2F');
    expect(url).toContain('%2Fauto%2Fs3%2Faws4_request');
  });

  it('refuses what it does not understand, naming the part at fault', () => {
    expect(() => s3BlobStoreFromUrl('s3:///x')).toThrow(/--blobs s3:\/\/\/x: no bucket name/);
    expect(() => s3BlobStoreFromUrl('http://bucket/x')).toThrow(/expected s3:\/\/BUCKET\/PREFIX/);
    expect(() => s3BlobStoreFromUrl('s3://bucket?endpiont=http://x')).toThrow(/unknown option "endpiont"/);
    expect(() => s3BlobStoreFromUrl('s3://bucket?presign=yes')).toThrow(/presign must be true or false, not "yes"/);
    expect(() => s3BlobStoreFromUrl('s3://bucket?partSize=1024')).toThrow(/partSize must be a whole number of at least 5242880/);
  });
});
