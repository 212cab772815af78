/**
 * The JSON Lines of `wschat bridge` (and of `wschat listen --json`): commands in, events out,
 * one JSON object a line. Fields that carry a spec struct's value use the generated zod
 * schemas' bounds (text, file name, MIME type, contact name and note); ids are hex of the
 * generated sizes. Out events are strict objects: nothing but the listed fields is ever
 * written, so keys, seeds and other people's invites cannot slip into the output.
 */
import { ContactRequestSchema, FILE_ID_SIZE, FileOfferSchema, ID_SIZE, MAX_INVITE_USES, MSG_ID_SIZE, TextSchema } from '@parley/generated';
import { z } from 'zod';

/** Longest accepted command line (bytes): a text is at most MAX_TEXT_BYTES; this leaves room for JSON escaping. */
export const MAX_LINE_BYTES = 256 * 1024;

const hexOf = (bytes: number, what: string) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `${what}: ${bytes * 2} lower-case hex digits`);
export const MsgIdSchema = hexOf(MSG_ID_SIZE, 'a message id');
export const FileIdSchema = hexOf(FILE_ID_SIZE, 'a file id');
const ContactIdSchema = hexOf(ID_SIZE, 'a contact id');

/**
 * A point in time in every JSON interface: milliseconds since 1970 (cli/AGENTS.md). The floor
 * 10^11 ms is March 1973; the same number read as seconds would be the year 5138, so a time
 * written in seconds (10^9 to 10^10 today) fails the schema instead of reaching a script.
 */
export const MIN_EPOCH_MS = 1e11;
export const EpochMsSchema = z.number().int().gte(MIN_EPOCH_MS, 'a time in milliseconds since 1970');

/** A contact: a name or an id prefix, as on the command line. */
const ContactRef = z.string().min(1).max(128);
/**
 * Shortest invite lifetime the bridge accepts (seconds). A wschat choice, not the spec's (which
 * allows any expiry): an agent's invite has to be passed on to a person before it is used, and a
 * lifetime under a minute is far more likely a mistake in units than a wish.
 */
export const MIN_BRIDGE_INVITE_TTL_S = 60;
/** Most history items one command returns, and most ids one ack/read names: bounds a result line. */
const MAX_ITEMS_PER_COMMAND = 1000;
/** Echoed in the result or error of this command. */
const Ref = z.string().max(128).optional();

export const CommandSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('send'), ref: Ref, to: ContactRef, text: TextSchema.shape.text, replyTo: MsgIdSchema.optional(), silent: z.boolean().optional() }),
  z.strictObject({ type: z.literal('file'), ref: Ref, to: ContactRef, path: z.string().min(1).max(4096), name: FileOfferSchema.shape.name.optional(), mime: FileOfferSchema.shape.mime.optional() }),
  z.strictObject({ type: z.literal('contacts'), ref: Ref }),
  z.strictObject({ type: z.literal('history'), ref: Ref, contact: ContactRef, limit: z.number().int().min(1).max(MAX_ITEMS_PER_COMMAND).optional() }),
  z.strictObject({ type: z.literal('ack'), ref: Ref, ids: z.array(MsgIdSchema).min(1).max(MAX_ITEMS_PER_COMMAND) }),
  z.strictObject({ type: z.literal('read'), ref: Ref, ids: z.array(MsgIdSchema).min(1).max(MAX_ITEMS_PER_COMMAND) }),
  z.strictObject({ type: z.literal('invite'), ref: Ref, uses: z.number().int().min(1).max(MAX_INVITE_USES).optional(), ttl: z.number().int().min(MIN_BRIDGE_INVITE_TTL_S).optional() }),
  z.strictObject({ type: z.literal('add'), ref: Ref, invite: z.string().min(1).max(8192), name: ContactRequestSchema.shape.name.optional(), note: ContactRequestSchema.shape.note.optional() }),
  z.strictObject({ type: z.literal('accept'), ref: Ref, contact: ContactRef, name: ContactRequestSchema.shape.name.optional() }),
  z.strictObject({ type: z.literal('reject'), ref: Ref, contact: ContactRef }),
]);
export type Command = z.infer<typeof CommandSchema>;
export type CommandType = Command['type'];

/** A contact in events: its id and local name, never its keys. */
export const PeerSchema = z.strictObject({ id: ContactIdSchema, name: z.string() });
/**
 * What protects a conversation (the engine's ConversationProtection): version 2 is a v2 session
 * (double ratchet: forward secrecy; post-quantum after the first round trip), 1 the static v1 keys.
 */
export const ProtectionSchema = z.strictObject({
  version: z.union([z.literal(1), z.literal(2)]),
  forwardSecrecy: z.boolean(),
  postQuantum: z.boolean(),
  label: z.string(),
});
export const ContactInfoSchema = z.strictObject({
  id: ContactIdSchema,
  name: z.string(),
  state: z.enum(['requested', 'pending', 'accepted']),
  verified: z.boolean(),
  /** requested and pending only: when the request expires (ms; CONTACT_REQUEST_TTL_MS after it was made) */
  expiresAt: EpochMsSchema.optional(),
  protection: ProtectionSchema,
});
const HistoryEntrySchema = z.strictObject({
  id: MsgIdSchema,
  dir: z.enum(['in', 'out']),
  kind: z.enum(['text', 'file', 'pending']),
  text: z.string().optional(),
  file: z.strictObject({ fileId: FileIdSchema, name: z.string(), size: z.number(), state: z.string() }).optional(),
  status: z.enum(['queued', 'sent', 'delivered', 'read', 'failed']).optional(),
  read: z.boolean().optional(),
  sentAt: EpochMsSchema,
  deleted: z.boolean().optional(),
});

const ResultData = z.union([
  z.strictObject({ id: MsgIdSchema }),
  // `status`: only `wschat file send --json`, which waits (queued: the contact has not accepted yet)
  z.strictObject({ id: MsgIdSchema, fileId: FileIdSchema, status: z.enum(['queued', 'sent', 'delivered']).optional() }),
  z.strictObject({ contacts: z.array(ContactInfoSchema) }),
  z.strictObject({ items: z.array(HistoryEntrySchema) }),
  z.strictObject({ count: z.number().int() }),
  z.strictObject({ link: z.string(), expiresAt: EpochMsSchema, maxUses: z.number() }),
  z.strictObject({ contact: ContactInfoSchema }),
]);

/** `wschat whoami --json`: who we are and a new invite (expiresAt in ms like every time here). */
export const WhoamiSchema = z.strictObject({
  id: ContactIdSchema,
  name: z.string(),
  link: z.string(),
  expiresAt: EpochMsSchema,
  maxUses: z.number().int(),
  relay: z.strictObject({ url: z.string(), fingerprint: z.string() }),
});

export const EventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready'), id: ContactIdSchema, name: z.string(), relay: z.string(), fingerprint: z.string() }),
  z.strictObject({ type: z.literal('state'), state: z.enum(['connecting', 'handshaking', 'online', 'offline', 'stopped']), retryInMs: z.number().optional(), reason: z.string().optional(), endpoint: z.string().optional() }),
  z.strictObject({
    type: z.literal('message'),
    id: MsgIdSchema,
    from: PeerSchema,
    text: z.string(),
    sentAt: EpochMsSchema,
    receivedAt: EpochMsSchema,
    replyTo: MsgIdSchema.optional(),
    backlog: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('edit'), id: MsgIdSchema, from: PeerSchema, target: MsgIdSchema, text: z.string() }),
  z.strictObject({ type: z.literal('delete'), id: MsgIdSchema, from: PeerSchema, target: MsgIdSchema }),
  z.strictObject({ type: z.literal('receipt'), contact: PeerSchema, status: z.enum(['sent', 'delivered', 'read']), ids: z.array(MsgIdSchema) }),
  z.strictObject({ type: z.literal('presence'), from: PeerSchema, state: z.enum(['online', 'away', 'offline']) }),
  z.strictObject({ type: z.literal('typing'), from: PeerSchema, active: z.boolean() }),
  z.strictObject({
    type: z.literal('file-progress'),
    contact: PeerSchema,
    fileId: FileIdSchema,
    direction: z.enum(['in', 'out']),
    bytes: z.number(),
    size: z.number(),
    chunks: z.number(),
    /** out only: chunks put on the wire to the relay (`chunks` counts those the receiver confirmed) */
    sent: z.number().optional(),
    totalChunks: z.number(),
  }),
  z.strictObject({
    type: z.literal('file'),
    id: MsgIdSchema,
    fileId: FileIdSchema,
    from: PeerSchema,
    name: z.string(),
    mime: z.string(),
    size: z.number(),
    path: z.string().optional(),
    error: z.string().optional(),
    backlog: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('file-failed'), contact: PeerSchema, fileId: FileIdSchema, direction: z.enum(['in', 'out']), reason: z.string() }),
  z.strictObject({ type: z.literal('contact-request'), contact: PeerSchema, note: z.string(), keyChange: z.boolean() }),
  z.strictObject({ type: z.literal('contact-accepted'), contact: PeerSchema }),
  // out: our request got no answer in time (maybe the invite was used); in: theirs, now removed
  z.strictObject({ type: z.literal('contact-request-expired'), contact: PeerSchema, direction: z.enum(['in', 'out']), expiredAt: EpochMsSchema }),
  /** A contact's session was reset (by: 'them', their device lost or restored its state; 'us', ours): messages in between may be missing. */
  z.strictObject({ type: z.literal('session-reset'), contact: PeerSchema, by: z.enum(['us', 'them']), protection: ProtectionSchema }),
  z.strictObject({ type: z.literal('result'), ref: z.string().optional(), cmd: z.string(), ok: z.literal(true), data: ResultData }),
  z.strictObject({ type: z.literal('error'), ref: z.string().optional(), cmd: z.string().optional(), code: z.string(), message: z.string() }),
]);
export type OutEvent = z.infer<typeof EventSchema>;

/** The first problem of a failed parse, as one line. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const at = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${at}${issue.message}`;
}
