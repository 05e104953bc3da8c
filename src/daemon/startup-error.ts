// Why the daemon could not start or must stop, and whether restarting can help: exit 2 for what
// only the operator can fix (the unit's RestartPreventExitStatus=2 stops the restart loop),
// exit 1 for what may heal by itself (systemd restarts it).
export type ExitCode = 1 | 2;

export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

/** A reason to stop, with the exit code that tells systemd whether to restart. */
export interface Fatal {
  reason: string;
  exitCode: ExitCode;
}
