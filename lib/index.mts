/**
 * The ES module entry (`import … from 'nonlocal-affinity'`): the CommonJS build's named exports,
 * re-exported, plus the whole API as the default export. It wraps the same CommonJS instance
 * `require()` returns, so the two share one addon, one scheduler and one default-thread setting.
 */
export * from './index.js';
import api from './index.js';
export default api;
