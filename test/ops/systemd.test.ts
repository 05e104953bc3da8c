import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const unitPath = new URL('../../systemd/paycue.service', import.meta.url).pathname;
const unit = readFileSync(unitPath, 'utf8');
const hasAnalyze = spawnSync('sh', ['-c', 'command -v systemd-analyze']).status === 0;

describe('systemd/paycue.service', () => {
  it('runs as a dedicated user, restarts on failure and is hardened', () => {
    for (const directive of [
      'User=paycue', 'Restart=on-failure', 'RestartPreventExitStatus=2', 'NoNewPrivileges=yes', 'ProtectSystem=strict',
      'ReadWritePaths=/opt/paycue/sessions', 'PrivateTmp=yes', 'ProtectHome=yes',
      'After=network-online.target redis-server.service', 'Wants=network-online.target redis-server.service',
      // Readiness comes from a systemd-notify child (src/ops/sd-notify.ts), hence NotifyAccess=all.
      'Type=notify', 'NotifyAccess=all', 'SyslogIdentifier=paycue', 'SystemCallFilter=~@privileged', 'SystemCallErrorNumber=EPERM',
    ]) expect(unit).toContain(directive);
    expect(unit).not.toMatch(/^MemoryDenyWriteExecute=yes/m); // V8's JIT needs writable+executable memory
    expect(unit).not.toMatch(/^User=root/m);
  });

  it.runIf(hasAnalyze)('passes systemd-analyze verify', () => {
    const r = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
    // Only complaints about this unit count (the host's other units are not ours).
    const ours = (r.stderr + r.stdout).split('\n').filter((l) => l.includes('paycue.service'));
    expect(ours).toEqual([]);
    expect(r.status).toBe(0);
  });

  it.runIf(hasAnalyze)('keeps systemd-analyze security exposure low (at most 2.0)', () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', unitPath], { encoding: 'utf8' });
    const level = /Overall exposure level for paycue\.service: ([\d.]+)/.exec(r.stdout + r.stderr)?.[1];
    expect(level, r.stdout + r.stderr).toBeDefined();
    expect(Number(level)).toBeLessThanOrEqual(2.0);
  });
});
