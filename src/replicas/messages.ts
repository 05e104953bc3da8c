// What paycue says about the replica requirement: at start (and in doctor), when writes are
// refused, in the alert. One place, so the log, doctor and the alert say the same thing.
import type { GateState } from './gate.js';

export const RUNBOOK = 'README → High availability → "A replica is down"';

const replicasWord = (n: number) => `${n} replica${n === 1 ? '' : 's'}`;

export interface RequirementFacts {
  /** REDIS_MIN_REPLICAS when set. */
  explicit: number | undefined;
  /** The count recorded for our shard (null: unknown, or a single node). */
  recorded: number | null;
}

/** The start-up warning for an explicit REDIS_MIN_REPLICAS other than the recorded count, naming
 * what it permits; null when there is nothing to say. */
export function requirementWarning(f: RequirementFacts): string | null {
  if (f.explicit === undefined || f.recorded === null || f.explicit === f.recorded) return null;
  const e = f.explicit;
  const r = f.recorded;
  if (e > r) return `REDIS_MIN_REPLICAS=${e} is above the ${replicasWord(r)} recorded for this deployment: writes are refused (503) while fewer than ${e} are connected`;
  const confirmed = e === 0 ? 'a write no replica confirmed' : `a write only ${e} of the ${r} replicas confirmed`;
  return (
    `REDIS_MIN_REPLICAS=${e} is below the ${replicasWord(r)} recorded for this deployment: ${confirmed} is acknowledged, and an unplanned failover ` +
    '(the primary killed) can lose it — a create whose amount is then handed to a second order, a confirm undone after its webhook was delivered' +
    (e === 0 ? '' : '; planned failovers through `paycue redis switchover` lose nothing') +
    `. Unset REDIS_MIN_REPLICAS to require all ${r}`
  );
}

/** Why writes are refused now (log line, alert, /ready detail); null while they are accepted. */
export function refusalText(s: GateState): string | null {
  if (s.open) return null;
  if (s.required === null) return 'the replica record could not be read yet: creates, cancels and credits are refused (503) until it is';
  const have =
    s.reason === 'fell_short'
      ? `${s.connected === null ? 'not every one' : `only ${s.connected}`} of the ${replicasWord(s.required)} paycue requires confirmed a write in time`
      : `${s.connected ?? 'an unknown number'} of the ${replicasWord(s.required)} paycue requires ${s.connected === 1 ? 'is' : 'are'} connected`;
  return `${have}: creates, cancels and credits are refused (503) until enough are back (runbook: ${RUNBOOK})`;
}
