// The discovery screen's work, done here rather than by the screen: scans and board identification.
import { identifyMachine } from '../discovery/identify-board.js';
import { runDiscovery } from '../discovery/run-discovery.js';
import { probeSsh } from '../discovery/ssh-probe.js';
import type { DiscoveryWork } from '../screens/discovery/discovery-work.js';

export const discoveryWork: DiscoveryWork = {
  scan: (addresses, rows, options) => runDiscovery(addresses, rows, options),
  identify: (target, seconds) => identifyMachine(target, seconds),
  probe: (address, signal) => probeSsh(address, { timeoutMs: 5000, signal }),
};
