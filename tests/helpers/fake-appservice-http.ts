// The appservice's view of a homeserver for unit tests of the DeviceManager: device creation,
// cross-signing and signature uploads are recorded, key endpoints and to-device are answered
// by a KeyDirectory, and any path can be made to fail a number of times.
import { RequestType } from '@matrix-org/matrix-sdk-crypto-wasm';
import { HomeserverRequestError, type AppserviceHttp } from '../../src/matrix/crypto/appservice-http';
import { KeyDirectory } from './olm-exchange';

export interface RecordedCall {
  method: string;
  path: string;
  userId: string;
  deviceId: string | undefined;
  body: string | undefined;
}

const KEY_PATHS: [RegExp, RequestType][] = [
  [/\/keys\/upload$/, RequestType.KeysUpload],
  [/\/keys\/query$/, RequestType.KeysQuery],
  [/\/keys\/claim$/, RequestType.KeysClaim],
  [/\/sendToDevice\//, RequestType.ToDevice],
];

export class FakeAppserviceHttp implements AppserviceHttp {
  readonly calls: RecordedCall[] = [];
  private readonly failures: { match: RegExp; times: number }[] = [];

  constructor(readonly directory = new KeyDirectory()) {}

  /** The next `times` calls whose path matches fail with a 500. */
  failNext(match: RegExp, times = 1): void {
    this.failures.push({ match, times });
  }

  callsTo(match: RegExp): RecordedCall[] {
    return this.calls.filter((c) => match.test(c.path));
  }

  async request(method: 'GET' | 'POST' | 'PUT', path: string, as: { userId: string; deviceId?: string }, body?: string): Promise<string> {
    await Promise.resolve();
    this.calls.push({ method, path, userId: as.userId, deviceId: as.deviceId, body });
    const failure = this.failures.find((f) => f.times > 0 && f.match.test(path));
    if (failure) {
      failure.times--;
      throw new HomeserverRequestError(500, 'M_UNKNOWN', path, 'injected failure');
    }
    const keyPath = KEY_PATHS.find(([re]) => re.test(path));
    if (keyPath) {
      const eventType = keyPath[1] === RequestType.ToDevice ? decodeURIComponent(path.split('/sendToDevice/')[1].split('/')[0]) : undefined;
      const party = { userId: as.userId, deviceId: as.deviceId ?? '', outgoing: async () => [], markSent: async () => undefined };
      return this.directory.answer(party, { id: undefined, type: keyPath[1], method: 'POST', path, body: body ?? '{}', eventType });
    }
    if (/\/keys\/signatures\/upload$/.test(path)) return JSON.stringify({ failures: {} });
    return '{}';
  }
}
