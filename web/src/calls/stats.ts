/**
 * Connection quality from WebRTC getStats(): bytes and packets of every inbound-rtp stream,
 * outbound bytes, the selected candidate pair's round-trip time and candidate types, bit rates
 * and packet loss over the last interval. `quality()` turns that into good / fair / poor.
 */

export interface LinkStats {
  at: number;
  bytesReceived: number;
  bytesSent: number;
  /** Inbound bytes by media kind. */
  audioBytes: number;
  videoBytes: number;
  packetsReceived: number;
  packetsLost: number;
  /** Over the last interval (cumulative on the first sample). */
  lossPct: number;
  inKbps: number;
  outKbps: number;
  /** Selected candidate pair. */
  rttMs?: number;
  localType?: string;
  remoteType?: string;
}

export type Quality = 'good' | 'fair' | 'poor' | 'unknown';

/** Thresholds: a call is poor above POOR_RTT_MS or POOR_LOSS_PCT, fair above the FAIR ones. */
export const FAIR_RTT_MS = 250;
export const POOR_RTT_MS = 500;
export const FAIR_LOSS_PCT = 3;
export const POOR_LOSS_PCT = 10;

type Stat = Record<string, unknown> & { type: string; id: string };

/** Reads an RTCStatsReport (or any map of stats) into LinkStats; `prev` gives rates. */
export function summarize(report: { forEach(fn: (v: Stat) => void): void; get?(id: string): unknown }, now: number, prev?: LinkStats): LinkStats {
  const byId = new Map<string, Stat>();
  report.forEach((r) => byId.set(r.id, r));
  const s: LinkStats = { at: now, bytesReceived: 0, bytesSent: 0, audioBytes: 0, videoBytes: 0, packetsReceived: 0, packetsLost: 0, lossPct: 0, inKbps: 0, outKbps: 0 };
  let pair: Stat | undefined;
  for (const r of byId.values()) {
    if (r.type === 'inbound-rtp') {
      const b = num(r.bytesReceived);
      s.bytesReceived += b;
      if (r.kind === 'video') s.videoBytes += b;
      else s.audioBytes += b;
      s.packetsReceived += num(r.packetsReceived);
      s.packetsLost += Math.max(0, num(r.packetsLost));
    } else if (r.type === 'outbound-rtp') s.bytesSent += num(r.bytesSent);
    else if (r.type === 'transport' && typeof r.selectedCandidatePairId === 'string') pair = byId.get(r.selectedCandidatePairId) ?? pair;
  }
  pair ??= [...byId.values()].find((r) => r.type === 'candidate-pair' && r.state === 'succeeded' && r.nominated === true);
  if (pair) {
    if (typeof pair.currentRoundTripTime === 'number') s.rttMs = Math.round(pair.currentRoundTripTime * 1000);
    const local = byId.get(String(pair.localCandidateId));
    const remote = byId.get(String(pair.remoteCandidateId));
    if (typeof local?.candidateType === 'string') s.localType = local.candidateType;
    if (typeof remote?.candidateType === 'string') s.remoteType = remote.candidateType;
  }
  const lost = s.packetsLost - (prev?.packetsLost ?? 0);
  const got = s.packetsReceived - (prev?.packetsReceived ?? 0);
  s.lossPct = lost + got > 0 ? Math.round((Math.max(0, lost) / (Math.max(0, lost) + Math.max(0, got))) * 1000) / 10 : 0;
  if (prev && now > prev.at) {
    const secs = (now - prev.at) / 1000;
    s.inKbps = Math.max(0, Math.round(((s.bytesReceived - prev.bytesReceived) * 8) / 1000 / secs));
    s.outKbps = Math.max(0, Math.round(((s.bytesSent - prev.bytesSent) * 8) / 1000 / secs));
  }
  return s;
}

export function quality(s: LinkStats | undefined): Quality {
  if (!s || s.rttMs === undefined) return 'unknown';
  if (s.rttMs > POOR_RTT_MS || s.lossPct > POOR_LOSS_PCT) return 'poor';
  if (s.rttMs > FAIR_RTT_MS || s.lossPct > FAIR_LOSS_PCT) return 'fair';
  return 'good';
}

/** "RTT 12 ms · loss 0 % · in 1.2 Mb/s · relayed" */
export function describeStats(s: LinkStats | undefined): string {
  if (!s) return 'No statistics yet';
  const rate = (k: number) => (k >= 1000 ? `${(k / 1000).toFixed(1)} Mb/s` : `${k} kb/s`);
  const parts = [s.rttMs !== undefined ? `RTT ${s.rttMs} ms` : 'RTT unknown', `loss ${s.lossPct} %`, `in ${rate(s.inKbps)}`, `out ${rate(s.outKbps)}`];
  if (s.localType === 'relay' || s.remoteType === 'relay') parts.push('through TURN');
  return parts.join(' · ');
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
