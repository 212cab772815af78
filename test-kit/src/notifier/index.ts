/** The notifier's test harness: a real relay and engines, loopback Web Push and FCM services, http_ece. */
export * from './setup.ts';
export * from './push-service.ts';
export * from './fcm-service.ts';
export * from './http-ece.ts';
export * from './ece-decrypt.ts';
