// A clock the test moves: installed as the runtime's clock, it lets a test run
// a day of delivery retries or a series of poll intervals without waiting.
import type { Clock } from '../../shared/runtime.js';

export class ManualClock implements Clock {
  constructor(private current = Date.now()) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
