/** The call as the call screen sees it: plain data for a Solid store, names and quality filled in. */
import { CallMedia } from '@parley/generated';
import type { CallInfo, PeerStatus } from './types.ts';
import { quality, type LinkStats, type Quality } from './stats.ts';

export interface PeerView {
  key: string;
  name: string;
  status: PeerStatus;
  connected: boolean;
  quality: Quality;
  stats?: LinkStats;
  /** Left out by the roster cap: cannot be added again to this call. */
  dropped?: boolean;
}

export interface CallView {
  id: string;
  phase: CallInfo['phase'];
  dir: 'in' | 'out';
  video: boolean;
  inviter: string;
  inviterName: string;
  rosterSize: number;
  startedAt: number;
  connectedAt?: number;
  endedAt?: number;
  outcome?: string;
  peers: PeerView[];
}

export function view(c: CallInfo, name: (key: string) => string, stats: Record<string, LinkStats>): CallView {
  return {
    id: c.id,
    phase: c.phase,
    dir: c.dir,
    video: c.media === CallMedia.video,
    inviter: c.inviter,
    inviterName: name(c.inviter),
    rosterSize: c.roster.length,
    startedAt: c.startedAt,
    ...(c.connectedAt !== undefined ? { connectedAt: c.connectedAt } : {}),
    ...(c.endedAt !== undefined ? { endedAt: c.endedAt } : {}),
    ...(c.outcome ? { outcome: c.outcome } : {}),
    peers: Object.values(c.peers).map((p) => ({ key: p.key, name: name(p.key), status: p.status, connected: !!p.connected, quality: quality(stats[p.key]), ...(stats[p.key] ? { stats: stats[p.key] } : {}), ...(p.dropped ? { dropped: true } : {}) })),
  };
}
