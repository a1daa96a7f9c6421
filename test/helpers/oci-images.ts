/**
 * Test image builders and the Distribution API pusher. They live in infra/local/oci-build.ts,
 * because the local demo builds images too and non-test code must not import from test/.
 */
export * from '../../infra/local/oci-build.js';
