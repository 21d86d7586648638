/**
 * The batch's progress display: a cli-progress bar with rate and ETA on stderr when stderr is a
 * terminal (and not --json); otherwise plain lines. Messages go above the bar, never through it.
 */
import * as cliProgress from 'cli-progress';

/** What the batch runner tells the display. */
export interface Progress {
  /** One more input finished (done, skipped or failed). */
  tick(file: string): void;
  /** A message line for stderr. */
  message(line: string): void;
  /** A data line for stdout. */
  data(line: string): void;
  /** Removes the bar (before the summary is printed). */
  stop(): void;
}

/**
 * @param total inputs this run will go through
 * @param show.bar draw a bar (the caller checks process.stderr.isTTY && !json)
 * @param show.data print data lines (off with --json: stdout then holds the one JSON document)
 */
export function createProgress(total: number, show: { bar: boolean; data: boolean }): Progress {
  const skipData = (): void => undefined;
  if (!show.bar) {
    return {
      tick: () => undefined,
      message: (line) => process.stderr.write(`${line}\n`),
      data: show.data ? (line) => process.stdout.write(`${line}\n`) : skipData,
      stop: () => undefined,
    };
  }
  const start = performance.now();
  const multi = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: ' {bar} {percentage}% | {value}/{total} | {rate} files/s | ETA {eta_formatted} | {file}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  const single = multi.create(total, 0, { rate: '0.0', file: '' });
  let done = 0;
  return {
    tick(file) {
      done += 1;
      const seconds = (performance.now() - start) / 1000;
      single.increment(1, { rate: (done / Math.max(seconds, 1e-3)).toFixed(1), file });
    },
    // Above the bar: MultiBar.log clears the bar, prints, and redraws it.
    message: (line) => multi.log(`${line}\n`),
    // On a terminal stdout shares the screen with the bar, so it goes through the same path; when
    // stdout is a file or pipe it gets the data untouched.
    data: !show.data ? skipData : (line) => (process.stdout.isTTY ? multi.log(`${line}\n`) : process.stdout.write(`${line}\n`)),
    stop() {
      // log() only buffers until the next redraw; redraw once so the last lines are not lost.
      multi.update();
      multi.stop();
    },
  };
}
