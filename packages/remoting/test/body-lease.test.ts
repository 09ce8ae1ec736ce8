// RemotingCommand.bodyLease: a reply whose body is pooled memory gets the lease released only once the
// socket has taken the bytes (a peer that stops reading holds it), at once when the body was copied
// into the connection's output buffer, and when the connection is closed with the frame unwritten.
import t, { type Test } from 'tap';
import net from 'node:net';
import { RemotingServer } from '../src/server.js';
import { RemotingCommand } from '../src/command.js';
import { FrameDecoder, FrameOutput, encodeCommandToBuffer } from '../src/codec.js';
import { createLogger } from '../src/logger.js';
import { sleep, waitFor } from '../../../test/helpers/wait.js';

const logger = createLogger('test', { level: 'error' });

class Lease {
  released = 0;
  release(): void { this.released++; }
}

t.test('FrameOutput: an inlined body is released at push, a queued one handed over with the parts', async (t) => {
  const out = new FrameOutput();
  const small = RemotingCommand.response(0, null, null, Buffer.alloc(100, 1));
  const smallLease = new Lease();
  small.bodyLease = smallLease;
  out.push(small);
  t.equal(smallLease.released, 1, 'copied into the arena: released');
  t.equal(small.bodyLease, null);
  const big = RemotingCommand.response(0, null, null, Buffer.alloc(64 * 1024, 2));
  const bigLease = new Lease();
  big.bodyLease = bigLease;
  out.push(big);
  t.equal(bigLease.released, 0, 'queued as it is: not yet');
  const parts = out.take();
  t.ok(parts.some((p) => p.buffer === (big.body as Buffer).buffer), 'the body goes out as its own part');
  const leases = out.takeLeases();
  t.same(leases, [bigLease]);
  t.equal(out.takeLeases(), null, 'taken once');
  const dropped = RemotingCommand.response(0, null, null, Buffer.alloc(64 * 1024, 3));
  const droppedLease = new Lease();
  dropped.bodyLease = droppedLease;
  out.push(dropped);
  out.clear();
  t.equal(droppedLease.released, 1, 'cleared unwritten: released');
});

/**
 * A server whose request `code` answers with an 8 MiB leased body, and a client socket that sent four
 * such requests and does not read: resolves once the four replies are built.
 */
async function stalledPeer(t: Test, code: number, body: Buffer): Promise<{ leases: Lease[]; sock: net.Socket }> {
  const leases: Lease[] = [];
  const server = new RemotingServer({ port: 0, host: '127.0.0.1', logger, name: `lease-${code}`, maxPendingWriteBytes: 64 * 1024 * 1024 });
  server.registerProcessor(code, () => {
    const r = RemotingCommand.response(0, null, null, body);
    const l = new Lease();
    leases.push(l);
    r.bodyLease = l;
    return r;
  });
  const port = await server.listen();
  t.teardown(() => server.close());
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.pause();
  for (let i = 0; i < 4; i++) sock.write(encodeCommandToBuffer(RemotingCommand.request(code)));
  await waitFor(() => leases.length === 4, 5000, 'four replies built');
  return { leases, sock };
}

t.test('over a socket: released only when the peer has read enough for the socket to take it all', async (t) => {
  const body = Buffer.alloc(8 * 1024 * 1024, 0x5a);
  const { leases, sock } = await stalledPeer(t, 77, body);
  await sleep(200);
  t.ok(leases.some((l) => l.released === 0), `a peer that does not read holds the leases (${leases.map((l) => l.released)})`);
  const dec = new FrameDecoder();
  const got: RemotingCommand[] = [];
  sock.on('data', (c) => { for (const cmd of dec.push(c)) got.push(cmd); });
  sock.resume();
  await waitFor(() => got.length === 4, 10000, 'four replies read');
  t.ok(got.every((c) => (c.body as Buffer).equals(body)), 'every body arrived whole');
  await waitFor(() => leases.every((l) => l.released === 1), 5000, 'released once written');
  t.same(leases.map((l) => l.released), [1, 1, 1, 1], 'each exactly once');
  sock.destroy();
});

t.test('a connection closed with replies unwritten releases their leases', async (t) => {
  const { leases, sock } = await stalledPeer(t, 78, Buffer.alloc(8 * 1024 * 1024, 1));
  await sleep(100);
  sock.destroy();
  await waitFor(() => leases.every((l) => l.released === 1), 5000, 'released after the close');
  t.same(leases.map((l) => l.released), [1, 1, 1, 1]);
});
