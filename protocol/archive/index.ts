export * from './types.js';
export * from './elf-header.js';
export * from './rules.js';
export { ArchiveTree } from './tree.js';
export * from './read.js';
export * from './identity.js';
