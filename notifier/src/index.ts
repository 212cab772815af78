/**
 * @parley/notifier: start a notifier in-process (tests, main.ts), and the pieces a deployment or
 * a test may want on their own. Browser code imports `@parley/notifier/client` only.
 */
export { startNotifier, type RunningNotifier, type StartOptions } from './notifier.ts';
export { loadConfig, requireRun, DEFAULT_WEBPUSH_ORIGINS, DEFAULT_FCM_ENDPOINT, type NotifierConfig, type FcmConfig } from './config.ts';
export { DEFAULT_LIMITS, type Limits } from './limits.ts';
export { generateKeys, loadKeys, publicInfo, type NotifierKeys, type VapidKeys } from './keys.ts';
export { NotifierError, NotifierInfoError, ConfigError, isNotifierError, type NotifierErrorCode } from './errors.ts';
export { HEADER_SIZE as WEB_PUSH_HEADER_SIZE, oneRecordSize } from './web-push-size.ts';
export { pushPayload, type PushResult, type Subscription } from './push.ts';
export { RegistrationStore, type Registration } from './registrations.ts';
export type { NotifierInfo, PublishedInvite } from './client.ts';
export type { InviteSlot } from './invites.ts';
export type { WakeStats } from './wake.ts';
