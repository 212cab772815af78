/** A relay of several nodes for the clients' failover tests: real node processes, and a front that makes a node leave. */
export * from './nodes.ts';
export * from './front.ts';
