// Key r on the review screen: a re-flashed card, asked for its host key over real SSH (an ssh2
// server on loopback, as a new card's sshd answers before any login), confirmed with y.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import ssh2 from 'ssh2';
import { discoveryWork } from '../../../source/commands/discovery-work.js';
import { probeSsh } from '../../../source/discovery/ssh-probe.js';
import { defaultSettings } from '../../../source/plan/plan-cluster.js';
import { ReviewTableScreen } from '../../../source/screens/review-table/ReviewTableScreen.js';
import { createAppStore } from '../../../source/store/app-store.js';
import { sshFingerprint } from '../../../source/transport/known-hosts.js';
import { keys, press, typeText, waitForFrame } from '../frame.js';

afterEach(cleanup);

/** An SSH server on `address` with its own ed25519 host key; it never lets anyone log in. */
function sshServer(address: string, port: number) {
  const key = ssh2.utils.generateKeyPairSync('ed25519');
  const server = new ssh2.Server({ hostKeys: [key.private] }, (client) => {
    client.on('error', () => {});
    client.on('authentication', (context) => context.reject());
  });
  const listening = new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve((server.address() as AddressInfo).port));
  });
  const hostKey = key.public.split(' ').slice(0, 2).join(' ');
  const fingerprint = sshFingerprint(Buffer.from(hostKey.split(' ')[1]!, 'base64'));
  return { server, listening, hostKey, fingerprint };
}

// The old card still answers at 127.0.0.2, the new one at 127.0.0.3; nothing at 127.0.0.4.
const oldCard = sshServer('127.0.0.2', 0);
let port = 0;
let newCard: ReturnType<typeof sshServer>;
before(async () => {
  port = await oldCard.listening;
  newCard = sshServer('127.0.0.3', port);
  await newCard.listening;
});
after(() => {
  oldCard.server.close();
  newCard.server.close();
});

function renderReview() {
  const store = createAppStore();
  store.getState().start();
  store.getState().submitSettings({ ...defaultSettings, nodeCount: 4 });
  store.setState({
    run: {
      memory: {
        rebootPending: [],
        masterBootIdBeforeReboot: null,
        nodes: {
          worker2: { publicKey: 'ssh-ed25519 AAAAw2 pi@worker2', hostKeys: [oldCard.hostKey] },
        },
      },
      results: { keys: { worker2: 'ok' } },
    },
  });
  const work = {
    ...discoveryWork,
    probe: (address: string, signal: AbortSignal) =>
      probeSsh(address, { port, timeoutMs: 5000, signal }),
  };
  const instance = render(<ReviewTableScreen store={store} discovery={work} isActive />);
  return { store, instance };
}

const selectedLine = (frame: string) =>
  frame.split('\n').find((line) => line.startsWith('›')) ?? '';

/** r, the address, Enter: resolves with the frame that shows what answered (or that nothing did). */
async function startReplacing(
  instance: ReturnType<typeof render>,
  address: string,
  answered: RegExp | string,
) {
  await press(instance, 'r', 'Where does the new card answer now?');
  await typeText(instance, address);
  return press(instance, keys.enter, answered);
}

describe('replacing a re-flashed card from the review screen (key r)', () => {
  test('asks where it answers, shows its host key, and y trusts it for the next run', async () => {
    const { store, instance } = renderReview();
    await waitForFrame(instance, 'The table is valid');
    await press(instance, 'r', 'master is the master: the wizard runs on it');
    await press(instance, keys.down, (frame) => selectedLine(frame).includes('worker1'));
    await press(instance, keys.down, (frame) => selectedLine(frame).includes('worker2'));
    const before = structuredClone(store.getState().rows);

    // Bad input is refused in words and the panel stays for a correction; Esc changes nothing.
    await press(instance, 'r', "Replace worker2's card");
    await typeText(instance, 'not_an_address');
    await press(
      instance,
      keys.enter,
      '"not_an_address" is neither an IPv4 address nor a host name',
    );
    await press(instance, keys.escape, "Nothing was changed: worker2's card stays trusted.");

    // Nothing answers there: said, and the address stays to correct (here: given up with Esc).
    const nothing = await startReplacing(
      instance,
      '127.0.0.4',
      /Nothing answers SSH at 127\.0\.0\.4 \(ECONNREFUSED\)/,
    );
    assert.match(nothing, / › 127\.0\.0\.4/);
    assert.match(nothing, /Enter ask it for its host key · Esc cancel/);
    await press(instance, keys.escape, "Nothing was changed: worker2's card stays trusted.");
    // The old card itself answers: refused in words.
    await startReplacing(
      instance,
      '127.0.0.2',
      /offers worker2's old host key\s+\(SHA256:[^)]+\): that is the card the cluster already trusts,\s+not a re-flashed one/,
    );
    assert.deepEqual(store.getState().rows, before);

    // The new card: its key shown; any key but y cancels.
    let frame = await startReplacing(
      instance,
      '127.0.0.3',
      `Its host key: ssh-ed25519 ${newCard.fingerprint}`,
    );
    assert.match(frame, /It answers: SSH-2\.0-/);
    await press(instance, 'n', "Nothing was changed: worker2's card stays trusted.");
    assert.deepEqual(store.getState().rows, before);
    assert.equal(store.getState().run?.memory.newCards, undefined);

    await startReplacing(instance, '127.0.0.3', `Its host key: ssh-ed25519 ${newCard.fingerprint}`);
    frame = await press(instance, 'y', "worker2's new card is trusted for the next run");
    assert.match(selectedLine(frame), /2\s+eth0\s+192\.168\.0\.102\s+worker2\s+127\.0\.0\.3/);
    const { rows, run } = store.getState();
    assert.equal(rows[2]?.reachAt, '127.0.0.3');
    assert.deepEqual(run?.memory.newCards, {
      worker2: { hostKey: newCard.hostKey, forget: ['192.168.0.102', '127.0.0.3'] },
    });
    assert.deepEqual(run?.memory.retiredKeys, ['ssh-ed25519 AAAAw2 pi@worker2']);
    assert.equal(run?.memory.nodes?.worker2, undefined);
    assert.deepEqual(run?.results, { keys: {} });

    // r again: where the row says it answers now is offered, ready for Enter.
    frame = await press(instance, 'r', 'Where does the new card answer now?');
    assert.match(frame, / › 127\.0\.0\.3/);
    await press(instance, keys.escape, 'Nothing was changed');
  });
});
