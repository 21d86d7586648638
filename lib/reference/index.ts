/**
 * `reference`: pure TypeScript implementations with the same signatures and validation as the
 * native ones — the baseline for "native vs plain JS" comparisons, and a second, independent
 * implementation the tests hold the kernel against.
 */
export { attention } from './attention';
export { nonLocalBlock } from './block';
