/** The command types live in the machine (dependencies point inward); the wire forms are decoded here. */
export type { Command, CommandType } from '../machine/command.js';
