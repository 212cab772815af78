/**
 * Relays of several nodes for tests: real node processes and a front that makes a node leave
 * (clients' failover tests), and a redis-server with relay nodes sharing it (cluster tests).
 */
export * from './nodes.ts';
export * from './front.ts';
export * from './redis.ts';
