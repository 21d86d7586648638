'use strict';
/**
 * Prints "N passed, N failed" alone on the last line of `npm test`, the plain closing line CI counts.
 * A suite that fails to load has no failed test of its own, so each such suite counts as one failure.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const passed = results.numPassedTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.once('exit', () => process.stderr.write(`jest: ${passed} passed, ${failed} failed\n`));
  }
}
module.exports = SummaryReporter;
