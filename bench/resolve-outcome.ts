/** One timed resolution, as both sides of bench:resolve report it. No side effects: workers import it. */
export interface Outcome {
  ms: number;
  /**
   * CPU time of the process over the run: on a shared machine, wall time mostly measures the
   * neighbours. process.cpuUsage() counts every thread of the process, but whichever thread is
   * not running the solver is idle, awaiting the worker's message, so this is the solver's time.
   */
  cpuMs: number;
  solution: Record<string, string> | null;
}

export const cpuSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};
