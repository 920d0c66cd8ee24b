/**
 * `/health` and `/ready`, the same on every listener that serves them (the appservice port,
 * which every install has, and the metrics port), so a container health check or a load
 * balancer works whether metrics are on or not. `/health` is liveness: the process answers.
 * `/ready` is readiness (readiness.ts): 200 when the bridge can bridge, else 503 naming the
 * checks that failed. Both answer JSON and need no credentials, so they say nothing about
 * who is logged in.
 */
import type { ReadinessCheck } from './readiness';

export interface HealthAnswer {
  status: number;
  body: Record<string, unknown>;
}

export const HEALTH_PATH = '/health';
export const READY_PATH = '/ready';

export class HealthEndpoints {
  constructor(private readonly readiness: ReadinessCheck) {}

  /** the answer for a request path (query ignored), or undefined when the path is neither */
  async answer(url: string): Promise<HealthAnswer | undefined> {
    const path = url.split('?')[0];
    if (path === HEALTH_PATH) return liveAnswer();
    if (path !== READY_PATH) return undefined;
    const report = await this.readiness.check();
    if (report.ready) return { status: 200, body: { status: 'ready', checks: report.checks } };
    const failed = Object.entries(report.checks).filter(([, check]) => !check.ok).map(([name]) => name);
    return { status: 503, body: { status: 'not_ready', failed, checks: report.checks } };
  }
}

export function liveAnswer(): HealthAnswer {
  return { status: 200, body: { status: 'ok' } };
}
