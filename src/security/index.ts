/** Security marking: hop trails, the room security summary, notices. Pure; see docs/security.md. */
export * from './namespace';
export * from './hop-trail';
export * from './network-hops-check';
export * from './room-security';
export * from './notices';
