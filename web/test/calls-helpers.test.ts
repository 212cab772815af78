/**
 * The pieces of calls that need no browser: ICE servers from the relay's TURN answer, the
 * quality indicator from getStats reports, the call log (IndexedDB on fake-indexeddb, merged
 * into a conversation by time, described in words), and the signalling messages' bounds.
 */
import 'fake-indexeddb/auto';
import { CALL_ID_SIZE, CallMedia, MAX_ICE_BYTES, MAX_SDP_BYTES, MessageType, SdpType, type TurnCredentials } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { IdbCallLog, MemoryCallLog, describeEntry, formatDuration, isCallEntry, mergeCallLog, type CallLogEntry } from '../src/calls/log.ts';
import { CALL_TYPES, fromHex, iceServersFrom, isCallMessage, msg, toHex } from '../src/calls/signal.ts';
import { FAIR_RTT_MS, POOR_LOSS_PCT, describeStats, quality, summarize } from '../src/calls/stats.ts';
import type { CallRecord } from '../src/calls/types.ts';
import type { HistoryItem } from '../src/services/protocol.ts';

const A = 'aa'.repeat(32);
const B = 'bb'.repeat(32);
const ID = '01'.repeat(CALL_ID_SIZE);

describe('signalling messages', () => {
  it('are built from the generated enums and keep the spec bounds', () => {
    const invite = msg.invite(ID, CallMedia.video, [A, B]);
    expect(invite.type).toBe(MessageType.callInvite);
    expect(isCallMessage(invite) && CALL_TYPES.size).toBe(7);
    const sdp = msg.sdp(ID, 'answer', 'v=0');
    if (sdp.type === MessageType.callSdp) expect(sdp.body.sdpType).toBe(SdpType.answer);
    expect(() => msg.sdp(ID, 'offer', 'x'.repeat(MAX_SDP_BYTES + 1))).toThrow(RangeError);
    expect(msg.ice(ID, { candidate: 'x'.repeat(MAX_ICE_BYTES + 1) })).toBeUndefined();
    expect(msg.ice(ID, { candidate: 'c', sdpMid: null, sdpMLineIndex: null })?.body).toMatchObject({ sdpMid: '', mlineIndex: 0 });
    expect(isCallMessage({ type: MessageType.typing, body: { active: 1 } })).toBe(false);
    expect(toHex(fromHex(A))).toBe(A);
    expect(() => fromHex('ABC')).toThrow();
  });

  it('ICE servers come only from the relay: STUN without credentials, TURN with them', () => {
    const t: TurnCredentials = { username: '1700000000:xyz', password: 'pw', ttlSeconds: 3600, urls: [{ url: 'stun:127.0.0.1:3478' }, { url: 'turn:127.0.0.1:3478?transport=udp' }, { url: 'turns:t.example:5349' }] };
    expect(iceServersFrom(t)).toEqual([
      { urls: ['stun:127.0.0.1:3478'] },
      { urls: ['turn:127.0.0.1:3478?transport=udp', 'turns:t.example:5349'], username: '1700000000:xyz', credential: 'pw' },
    ]);
    expect(iceServersFrom(undefined)).toEqual([]);
  });
});

describe('connection quality from getStats', () => {
  const report = (bytes: number, packets: number, lost: number, rtt = 0.02) =>
    new Map<string, Record<string, unknown> & { type: string; id: string }>([
      ['ia', { id: 'ia', type: 'inbound-rtp', kind: 'audio', bytesReceived: bytes / 4, packetsReceived: packets / 2, packetsLost: lost }],
      ['iv', { id: 'iv', type: 'inbound-rtp', kind: 'video', bytesReceived: (bytes * 3) / 4, packetsReceived: packets / 2, packetsLost: 0 }],
      ['o', { id: 'o', type: 'outbound-rtp', bytesSent: bytes }],
      ['t', { id: 't', type: 'transport', selectedCandidatePairId: 'p' }],
      ['p', { id: 'p', type: 'candidate-pair', currentRoundTripTime: rtt, localCandidateId: 'l', remoteCandidateId: 'r' }],
      ['l', { id: 'l', type: 'local-candidate', candidateType: 'relay' }],
      ['r', { id: 'r', type: 'remote-candidate', candidateType: 'host' }],
    ]);

  it('reads bytes by kind, the selected pair, and rates and loss over the interval', () => {
    const first = summarize(report(1000, 100, 0), 1000);
    expect(first).toMatchObject({ bytesReceived: 1000, audioBytes: 250, videoBytes: 750, rttMs: 20, localType: 'relay', remoteType: 'host', lossPct: 0 });
    const next = summarize(report(126_000, 200, 5), 2000, first);
    expect(next.inKbps).toBe(1000);
    expect(next.lossPct).toBeCloseTo(4.8, 1);
    expect(quality(first)).toBe('good');
    expect(quality(next)).toBe('fair');
    expect(quality(summarize(report(1, 1, 0, (FAIR_RTT_MS + 1) / 1000), 1))).toBe('fair');
    expect(quality(summarize(report(1, 100, POOR_LOSS_PCT * 2), 1))).toBe('poor');
    expect(quality(undefined)).toBe('unknown');
    expect(describeStats(next)).toMatch(/RTT 20 ms · loss 4\.8 % · in 1\.0 Mb\/s .* through TURN/);
  });
});

describe('call log', () => {
  const rec = (o: Partial<CallRecord>): CallRecord => ({ id: ID, media: CallMedia.audio, dir: 'in', from: A, at: 1000, outcome: 'missed', contacts: [A], ...o });
  const item = (id: string, sentAt: number): HistoryItem => ({ id, contact: A, seq: sentAt, dir: 'in', kind: 'text', text: id, sentAt });

  it('IndexedDB keeps entries per conversation in time order and announces new ones', async () => {
    const log = new IdbCallLog();
    const seen: CallLogEntry[] = [];
    log.on((e) => seen.push(e));
    await log.add(rec({ id: '02'.repeat(CALL_ID_SIZE), at: 3000, outcome: 'answered', durationMs: 65_000 }));
    await log.add(rec({}));
    await log.add(rec({ contacts: [B], dir: 'out', outcome: 'no-answer' }), [A, B, 'cc'.repeat(32)]);
    expect((await log.list(A)).map((e) => e.outcome)).toEqual(['missed', 'answered']);
    expect(await new IdbCallLog().list(B)).toMatchObject([{ outcome: 'no-answer', others: 1 }]);
    expect(seen).toHaveLength(3);
    const mem = new MemoryCallLog();
    await mem.add(rec({}));
    expect(await mem.list(A)).toHaveLength(1);
  });

  it('is merged among the messages by time and described in words', () => {
    const e = (at: number, o: Partial<CallLogEntry> = {}): CallLogEntry => ({ contact: A, callId: String(at), dir: 'in', media: CallMedia.audio, at, outcome: 'missed', others: 0, ...o });
    const rows = mergeCallLog([item('m1', 100), item('m2', 300)], [e(400), e(200)]);
    expect(rows.map((r) => (isCallEntry(r) ? `call@${r.at}` : r.id))).toEqual(['m1', 'call@200', 'm2', 'call@400']);
    expect(describeEntry(e(1), false)).toBe('Missed call');
    expect(describeEntry(e(1, { outcome: 'answered', dir: 'out', durationMs: 65_000 }), true)).toBe('Outgoing video call · 1:05');
    expect(describeEntry(e(1, { outcome: 'answered', others: 2 }), true)).toBe('Incoming video call (group, 4 people)');
    expect(describeEntry(e(1, { outcome: 'busy' }), false)).toBe('Missed call (you were in another call)');
    expect(describeEntry(e(1, { outcome: 'rejected', dir: 'out' }), false)).toBe('Call declined by them');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
  });
});
