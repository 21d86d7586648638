/** What each contender module hands the timing loop in contender.ts. */
export interface Prepared {
  /** One call of the contender on the prepared inputs. ORT's session.run is async, the rest sync. */
  run: () => Float32Array | Promise<Float32Array>;
  /** The cross-check probe of one output (probe.ts). */
  probe: (y: Float32Array) => number[];
  engine: string;
}
