/** Commands: the types, the decoder the partition owner runs, and the encoders clients use. */
export type { Command, CommandType } from './command.js';
export {
  CommandInvalidError,
  type CommandRejectionCode,
  type DecodeResult,
} from './command-invalid-error.js';
export { type CommandLimits, type CommandMessage, decodeCommand } from './decode.js';
export { encodeCommandAvro, encodeCommandJson } from './encode.js';
export { COMMAND_NAME_LENGTH_MAX, COMMAND_TYPES, validateCommand } from './validate.js';
