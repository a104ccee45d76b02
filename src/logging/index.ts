/** Structured logging: the Logger every component writes to, and the default stderr one. */
export { type Logger, type LogLevel, silentLogger, stderrLogger } from './logger.js';
