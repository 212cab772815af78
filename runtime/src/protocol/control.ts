/**
 * Control frames (spec kinds.control, signatures.control, regions control_ad and
 * control_signed): commands between a client and the relay, under the session's keys.
 *
 *   payload = AEAD(control_c2r | control_r2c, nonce, control_ad, control_message)
 *   sig     = Ed25519(sender, "parley v1 sig control" || KH(control_bind, control_signed))
 *
 * Both regions bind the direction and the frame's counter, so a control frame cannot be
 * reflected, reordered or replayed within a session. The route (id 0, masked) is the session's.
 */
import {
  Direction,
  FrameKind,
  Layouts,
  NONCE_SIZE,
  TAG_SIZE,
  controlAd,
  decodeControlMessage,
  decodeFrame,
  encodeControlMessage,
  signatureMessageControl,
  type ControlMessage,
  type Frame,
} from '@parley/generated';
import { randomBytes, type CryptoBackend } from '../crypto/index.ts';
import { abytes } from './_assert.ts';
import { H } from './_blake3.ts';
import { OpenError } from './errors.ts';
import { buildFrame } from './frame.ts';
import type { SessionKeys } from './handshake.ts';
import { decrypt } from './peer.ts';

export type DirectionCode = (typeof Direction)[keyof typeof Direction];

/** The AEAD key of a direction. */
function aeadKey(keys: SessionKeys, direction: DirectionCode): Uint8Array {
  return direction === Direction.clientToRelay ? keys.controlC2r : keys.controlR2c;
}

export interface SealControlArgs {
  backend: CryptoBackend;
  keys: SessionKeys;
  direction: DirectionCode;
  /** The frame's counter in its direction (the same the route mask uses). */
  counter: number;
  message: ControlMessage;
  /** The sender's Ed25519 seed: the client's for client_to_relay, the relay's for relay_to_client. */
  signerSeed: Uint8Array;
  /** Inject only for vectors. */
  nonce?: Uint8Array;
}

/** Seals a control frame (route zero: the session masks it with the same counter). */
export async function sealControlFrame(args: SealControlArgs): Promise<Uint8Array> {
  const { backend, keys, direction, counter } = args;
  const nonce = args.nonce === undefined ? randomBytes(NONCE_SIZE) : abytes(args.nonce, 'nonce', NONCE_SIZE);
  const parts = { direction, clientX: keys.clientX, relayX: keys.relayX, counter };
  const payload = await backend.xchachaSeal(aeadKey(keys, direction), nonce, encodeControlMessage(args.message), controlAd(parts));
  const message = signatureMessageControl(H, keys.controlBind, { ...parts, nonce, payload });
  const sig = await backend.ed25519Sign(args.signerSeed, message);
  return buildFrame({ nonce, kind: FrameKind.control, payload, sig });
}

export interface OpenControlArgs {
  backend: CryptoBackend;
  keys: SessionKeys;
  direction: DirectionCode;
  /** The counter the frame arrived with (from the session's unmask). */
  counter: number;
  frame: Uint8Array | Frame;
}

/** Smallest control payload: the AEAD of the smallest control message. */
const MIN_CONTROL_PAYLOAD = Layouts.control_message.minSize + TAG_SIZE;

/**
 * Opens a control frame: kind (BAD_KIND), length (BAD_LENGTH), the sender's signature
 * (BAD_SIGNATURE; the client's key for client_to_relay, the relay's for relay_to_client), then
 * decryption (DECRYPT_FAILED), then the message (CodecError).
 */
export async function openControlFrame(args: OpenControlArgs): Promise<ControlMessage> {
  const { backend, keys, direction, counter } = args;
  const f = args.frame instanceof Uint8Array ? decodeFrame(args.frame) : args.frame;
  if (f.kind !== FrameKind.control) throw new OpenError('BAD_KIND', `kind ${f.kind} where a control frame was expected`);
  if (f.payload.length < MIN_CONTROL_PAYLOAD) throw new OpenError('BAD_LENGTH', `control payload of ${f.payload.length} bytes`);
  const parts = { direction, clientX: keys.clientX, relayX: keys.relayX, counter };
  const signer = direction === Direction.clientToRelay ? keys.clientEd : keys.relayEd;
  const message = signatureMessageControl(H, keys.controlBind, { ...parts, nonce: f.nonce, payload: f.payload });
  if (!(await backend.ed25519Verify(signer, message, f.sig))) throw new OpenError('BAD_SIGNATURE', 'control frame does not verify');
  const plain = await decrypt(backend, aeadKey(keys, direction), f.nonce, f.payload, controlAd(parts));
  return decodeControlMessage(plain);
}
