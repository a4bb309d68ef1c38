/** @file Types of scripts/serve.mjs, for tests that start the server in-process. */
export interface RunningServer {
  port: number;
  /** e.g. http://127.0.0.1:41234/ */
  url: string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Starts the static server on 127.0.0.1 (port 0, the default: any free port). */
export function startServer(options?: { port?: number }): Promise<RunningServer>;
