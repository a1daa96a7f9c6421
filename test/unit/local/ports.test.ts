import { describe, expect, it } from 'vitest';
import { DEFAULT_PORTS, portsFromBase } from '../../../infra/local/ports.js';
import { portsFromArgs } from '../../../infra/local/stack-main.js';

const all = (ports: ReturnType<typeof portsFromBase>) => [
  ...Object.values(ports.functions),
  ports.pubsub,
  ports.registry,
  ports.batch,
  ports.artifactRegistry,
  ports.dashboard,
];

describe('local stack ports', () => {
  it('puts the page on 8080 by default, apart from every other default port', () => {
    expect(DEFAULT_PORTS.dashboard).toBe(8080);
    expect(new Set(all(DEFAULT_PORTS)).size).toBe(9);
  });

  it('lays nine distinct ports out from --port-base, the page at base+8', () => {
    const ports = portsFromBase(9000);
    expect(ports.dashboard).toBe(9008);
    expect(all(ports).sort()).toEqual([9000, 9001, 9002, 9003, 9004, 9005, 9006, 9007, 9008]);
    expect(portsFromBase(0).dashboard).toBe(0);
  });

  it('refuses a base that leaves no room for the ninth port, and takes --dashboard-port', () => {
    expect(() => portsFromArgs({ 'port-base': '65528' }, {})).toThrow(/no room for 9 ports/);
    expect(portsFromArgs({ 'port-base': '65527' }, {}).dashboard).toBe(65535);
    expect(portsFromArgs({ 'dashboard-port': '9999' }, {}).dashboard).toBe(9999);
    expect(portsFromArgs({}, { STREAMGATE_PORT_BASE: '7000' }).dashboard).toBe(7008);
  });
});
