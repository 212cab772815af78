/**
 * Type-checking stand-in for generated/src/errors.ts, which the generator writes from the spec's
 * `errors` (this file is not copied). The codes are the ones the generated code raises
 * (CODEC_CODES); the generator refuses a spec whose `errors.codec` lacks one of them.
 */
import type { CODEC_CODES } from '../../emit/codec/model.ts';

export type CodecErrorCode = (typeof CODEC_CODES)[number];
export { CodecError, isCodecError } from './codec-error.ts';
