// Network partitions between real node processes (`little-raft local`'s cut and heal, and the
// real-process tests): a TCP proxy for each ordered pair of nodes (i -> j), which node i is told is
// node j's Raft address. Peers authenticate by id and
// secret, not by address, so the nodes cannot tell. The Raft traffic (and what rides on the peer
// connections: forwarded writes, time requests, the pub/sub gossip) then crosses links a test can
// cut and heal; the nodes' Redis ports are not proxied, so clients keep reaching every node.
//
// A cut link drops packets, as a firewall's DROP rule or a pulled cable does; it does not refuse.
// Its open connections stay open, but nothing crosses them in either direction, not even a close;
// a connection made across it is accepted and never answered. The nodes see only silence, so
// only their own timeouts can tell them: heartbeats and check-quorum, the transport's idle
// timeout on open connections and handshake timeout on new ones. (A refused or reset connection
// would tell them at once, and exercise none of that.) What is sent across a cut link is held and
// delivered, in order, when it heals, as TCP's retransmissions deliver it once a network comes
// back: the nodes then read stale messages of old terms, late, and closes that happened meanwhile.
import * as net from 'node:net';

/** How long, and how often, a refused connection to a node is tried again before it is closed. */
const REDIAL_FOR_MS = 3000;
const REDIAL_EVERY_MS = 100;

/** The proxies of node `from`'s connections to node `to`. */
class Link {
  cut = false;
  readonly pipes = new Set<Pipe>();

  constructor(
    readonly server: net.Server,
    /** Node `to`'s real Raft address. */
    readonly targetHost: string,
    readonly targetPort: number,
  ) {}
}

/** One connection through a link: the node that dialed the proxy, and the proxy's connection to the node dialed. */
class Pipe {
  private target: net.Socket | null = null;
  /** The connection to the node dialed is up: until then what the dialer sends is held. */
  private connected = false;
  /** Held while the link is cut, per direction. */
  private readonly toTarget: Buffer[] = [];
  private readonly toDialer: Buffer[] = [];
  /** A close held while the link is cut, per side that closed. */
  private dialerClosed = false;
  private targetClosed = false;

  constructor(
    private readonly dialer: net.Socket,
    private readonly link: Link,
  ) {
    dialer.setNoDelay(true);
    dialer.on('data', (chunk: Buffer) => {
      if (this.link.cut || !this.connected) this.toTarget.push(chunk);
      else this.target!.write(chunk);
    });
    dialer.on('error', () => undefined); // 'close' follows
    dialer.on('close', () => {
      if (this.link.cut || !this.connected) this.dialerClosed = true;
      else this.target?.end();
      this.forgetIfClosed();
    });
    if (!link.cut) this.connect();
  }

  /** The link healed: what waited crosses now, then the closes that waited. */
  resume(): void {
    if (this.target === null) {
      // Accepted during the cut: it reaches the node now, unless its dialer gave up meanwhile.
      if (this.dialerClosed) {
        this.link.pipes.delete(this);
        return;
      }
      this.connect();
    }
    const target = this.target!;
    if (this.connected) {
      for (const chunk of this.toTarget.splice(0)) target.write(chunk);
      if (this.dialerClosed) target.end();
    }
    for (const chunk of this.toDialer.splice(0)) this.dialer.write(chunk);
    if (this.targetClosed) this.dialer.end();
    this.forgetIfClosed();
  }

  /** Bytes held for the heal, both ways. */
  get held(): number {
    let n = 0;
    for (const chunk of this.toTarget) n += chunk.length;
    for (const chunk of this.toDialer) n += chunk.length;
    return n;
  }

  destroy(): void {
    this.dialer.destroy();
    this.target?.destroy();
  }

  private connect(firstTry = performance.now()): void {
    const target = net.connect({ host: this.link.targetHost, port: this.link.targetPort, noDelay: true });
    this.target = target;
    let refused = false;
    target.on('connect', () => {
      this.connected = true;
      if (this.link.cut) return; // resume() sends what waits
      for (const chunk of this.toTarget.splice(0)) target.write(chunk);
      if (this.dialerClosed) target.end();
    });
    target.on('data', (chunk: Buffer) => {
      if (this.link.cut) this.toDialer.push(chunk);
      else this.dialer.write(chunk);
    });
    // 'close' follows. A node that is down refuses.
    target.on('error', (e: NodeJS.ErrnoException) => (refused = e.code === 'ECONNREFUSED'));
    target.on('close', () => {
      // A node still starting (its peers dial it at once) is dialed again for a while, as a
      // network retries a connection's first packet, so its peers do not log a failed handshake.
      if (refused && !this.dialer.destroyed && performance.now() - firstTry < REDIAL_FOR_MS) {
        setTimeout(() => {
          if (!this.dialer.destroyed) this.connect(firstTry);
        }, REDIAL_EVERY_MS).unref();
        return;
      }
      if (this.link.cut) this.targetClosed = true;
      else this.dialer.end();
      this.forgetIfClosed();
    });
  }

  private forgetIfClosed(): void {
    if (this.link.cut) return; // a held close is delivered by resume()
    if (this.dialer.destroyed && (this.target === null || this.target.destroyed)) this.link.pipes.delete(this);
  }
}

/** The proxies between the nodes of a test cluster; cut and heal links between them. */
export class LinkProxies {
  private readonly links = new Map<string, Link>();

  private constructor(private readonly ids: readonly number[]) {}

  /**
   * One proxy per ordered pair of the nodes in `raftPorts` (id -> its real Raft port), listening on
   * `listenPorts` in turn (n * (n - 1) of them), else on ports the system picks. A caller that
   * has chosen its nodes' ports but not yet started them passes ports chosen with those: a port
   * the system picks here could be one of theirs, which it has just released (the node would
   * then fail to start: EADDRINUSE). The proxies listen on `host`, and the nodes listen there too.
   */
  static async start(
    raftPorts: ReadonlyMap<number, number>,
    listenPorts?: readonly number[],
    host = '127.0.0.1',
  ): Promise<LinkProxies> {
    const proxies = new LinkProxies([...raftPorts.keys()]);
    const n = proxies.ids.length;
    if (listenPorts !== undefined && listenPorts.length !== n * (n - 1)) {
      throw new RangeError(`${n} nodes need ${n * (n - 1)} proxy ports, not ${listenPorts.length}`);
    }
    let next = 0;
    for (const from of proxies.ids) {
      for (const [to, port] of raftPorts) {
        if (to === from) continue;
        const server = net.createServer();
        const link = new Link(server, host, port);
        server.on('connection', (socket) => link.pipes.add(new Pipe(socket, link)));
        const listenPort = listenPorts?.[next++] ?? 0;
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host, port: listenPort }, () => resolve());
        }).catch(async (e: unknown) => {
          server.close();
          await proxies.close();
          throw e;
        });
        proxies.links.set(`${from}>${to}`, link);
      }
    }
    return proxies;
  }

  /** The port node `from` dials to reach node `to`. */
  port(from: number, to: number): number {
    return (this.link(from, to).server.address() as net.AddressInfo).port;
  }

  /** Nothing crosses between `a` and `b`, either way, until heal(). */
  cut(a: number, b: number): void {
    this.link(a, b).cut = true;
    this.link(b, a).cut = true;
  }

  /** Cuts node `id` off from every other node. */
  isolate(id: number): void {
    for (const other of this.ids) if (other !== id) this.cut(id, other);
  }

  /** Restores every link; what was held crosses now. */
  heal(): void {
    for (const link of this.links.values()) this.restore(link);
  }

  /** Restores the links of node `id` to and from the others, but for those in `keepCut`. */
  healNode(id: number, keepCut: readonly number[] = []): void {
    for (const other of this.ids) {
      if (other === id || keepCut.includes(other)) continue;
      this.restore(this.link(id, other));
      this.restore(this.link(other, id));
    }
  }

  /** Whether every link of node `id` is cut (isolate() made it so). */
  isolated(id: number): boolean {
    return this.ids.every((other) => other === id || (this.link(id, other).cut && this.link(other, id).cut));
  }

  /** Whether the proxies carry node `id`'s links (a node added later is reached directly). */
  has(id: number): boolean {
    return this.ids.includes(id);
  }

  /** The links cut now, as "a>b" (for failure messages). */
  get cutLinks(): string[] {
    return [...this.links].filter(([, link]) => link.cut).map(([name]) => name);
  }

  /** Bytes sent across cut links and held for the heal. */
  get heldBytes(): number {
    let n = 0;
    for (const link of this.links.values()) for (const pipe of link.pipes) n += pipe.held;
    return n;
  }

  async close(): Promise<void> {
    for (const link of this.links.values()) {
      for (const pipe of link.pipes) pipe.destroy();
      link.pipes.clear();
    }
    await Promise.all(
      [...this.links.values()].map((link) => new Promise<void>((resolve) => link.server.close(() => resolve()))),
    );
  }

  private restore(link: Link): void {
    if (!link.cut) return;
    link.cut = false;
    for (const pipe of [...link.pipes]) pipe.resume();
  }

  private link(from: number, to: number): Link {
    const link = this.links.get(`${from}>${to}`);
    if (link === undefined) throw new Error(`no link from node ${from} to node ${to}`);
    return link;
  }
}
