/**
 * The one place where the bridge's own Matrix keys are named. Everything that writes or reads
 * a hop trail or the security summary imports these constants, so the namespace cannot drift
 * between the core, the tests and docs/security.md.
 */

/** Key of the hop trail in the content of every Matrix event the bridge sends for a bridged message. */
export const HOP_TRAIL_KEY = 'org.interop_bridge.hop_trail';

/** Room state event type of the security summary (state_key ''). */
export const SECURITY_STATE_TYPE = 'org.interop_bridge.security';

/** Key of the security summary inside the m.bridge / uk.half-shot.bridge state content. */
export const SECURITY_SUMMARY_KEY = 'org.interop_bridge.security';

/** Key in the content of a bridged event that could be delivered only late: when it was sent
 *  (`sent_at`, ms) and how late it went (`delay_ms`); the event is also dated `sent_at`. */
export const DELAYED_KEY = 'org.interop_bridge.delayed';
