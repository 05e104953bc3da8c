// Who acts from the command line, for the audit trail: the login behind sudo, on this host.
import { hostname, userInfo } from 'node:os';
import { cliActor, type Actor } from '../credits/audit.js';

export function cliUser(): Actor {
  let user = process.env.SUDO_USER ?? '';
  try {
    user ||= userInfo().username;
  } catch {
    user ||= String(process.getuid?.() ?? 'unknown');
  }
  return cliActor(user, hostname());
}
