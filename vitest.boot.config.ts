import { defineConfig } from 'vitest/config';

// `npm run test:boot`: images booted on the real nanos kernel (test/boot/). Not part of `npm test`:
// it needs NANOS_DIR and qemu. Under qemu's emulation (no KVM) a boot takes tens of seconds.
export default defineConfig({
  test: {
    include: ['test/boot/**/*.boot.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    fileParallelism: false,
  },
});
