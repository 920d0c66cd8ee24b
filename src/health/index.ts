export { HealthEndpoints, HEALTH_PATH, READY_PATH, liveAnswer, type HealthAnswer } from './endpoints';
export { ReadinessCheck, type ReadinessReport, type ReadinessSources, type CheckResult } from './readiness';
export { homeserverProbe } from './homeserver-probe';
