/** Timers: the in-memory wheel that turns due timers into inputs. */
export { type DueTimer, TimerWheel } from './timer-wheel.js';
