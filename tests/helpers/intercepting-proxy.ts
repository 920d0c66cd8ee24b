/**
 * A WebSocket proxy in front of a real gateway that records every request frame a client sends
 * and can answer some of them itself instead of forwarding them: how a test plays a gateway
 * that does not know a request type, or one whose answer is wrong, while everything else is
 * the real gateway's behaviour.
 */
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

export interface SeenRequest {
  v: number;
  id: string;
  type: string;
  params: Record<string, unknown>;
}

/** what the proxy answers instead of the gateway; undefined forwards the frame */
export type Interception = { error: { code: string; message: string; field?: string } } | { result: unknown } | undefined;

export class InterceptingProxy {
  readonly seen: SeenRequest[] = [];
  intercept: (frame: SeenRequest) => Interception = () => undefined;

  private constructor(private readonly server: WebSocketServer, private readonly upstream: string) {
    server.on('connection', (client) => this.bridge(client));
  }

  static async start(upstream: string): Promise<InterceptingProxy> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    return new InterceptingProxy(server, upstream);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  /** the request types seen since `from` (an index into `seen`), with their params */
  since(from: number, prefix = ''): SeenRequest[] {
    return this.seen.slice(from).filter((f) => f.type.startsWith(prefix));
  }

  private bridge(client: WebSocket): void {
    const gateway = new WebSocket(this.upstream, { perMessageDeflate: false });
    const early: string[] = [];
    gateway.on('open', () => {
      for (const text of early.splice(0)) gateway.send(text);
    });
    gateway.on('message', (data) => client.send(data.toString()));
    gateway.on('close', () => client.close());
    gateway.on('error', () => client.terminate());
    client.on('close', () => gateway.close());
    client.on('message', (data) => {
      const text = data.toString();
      const frame = JSON.parse(text) as SeenRequest;
      this.seen.push(frame);
      const answer = this.intercept(frame);
      if (answer) {
        const body = 'error' in answer ? { type: 'error', error: answer.error } : { type: 'result', result: answer.result };
        client.send(JSON.stringify({ v: frame.v, id: frame.id, ...body }));
      } else if (gateway.readyState === WebSocket.OPEN) {
        gateway.send(text);
      } else {
        early.push(text);
      }
    });
  }

  async close(): Promise<void> {
    for (const c of this.server.clients) c.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
