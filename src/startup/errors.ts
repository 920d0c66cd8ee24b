/** A start that cannot succeed as configured: the CLI prints the message and exits 1. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** The admin asked the bridge to stop (SIGINT/SIGTERM) while it was still starting. */
export class StartAborted extends Error {
  constructor() {
    super('stopped while starting');
    this.name = 'StartAborted';
  }
}

export interface StartupLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
