import { performance } from 'node:perf_hooks';

/** A stream connection with an applied revision to acknowledge. */
export interface AckSender {
  /** Sends the acknowledgement of the latest applied revision, if it still has one to send. */
  sendAck(): void;
}

/** Acknowledgements go out once no stream message has been applied for this long. */
export const ACK_QUIET_MS = 5;
/** However busy the process, an applied revision is acknowledged within about this long. */
export const ACK_MAX_DELAY_MS = 250;
/** Acknowledgements sent per event-loop turn, so a long flush never holds up reading new messages. */
const ACK_CHUNK = 128;

/**
 * Sends stream acknowledgements as low-priority work: applying a message never waits for an ack's
 * socket write. An ack is sent once the process's streams have been quiet for {@link ACK_QUIET_MS}
 * (or after {@link ACK_MAX_DELAY_MS}), one per connection with the revision it applied last, so a
 * burst of patches costs one ack. Shared by every client of the process: when many connections
 * receive the same change (several clients in one process), all of them apply it before any acks.
 */
class AckScheduler {
  private readonly pending = new Set<AckSender>();
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;
  /** When a message was last applied, and when the oldest unsent ack was scheduled. */
  private lastAppliedAt = 0;
  private oldestAt = 0;

  schedule(sender: AckSender): void {
    const t = performance.now();
    this.lastAppliedAt = t;
    if (this.pending.size === 0) this.oldestAt = t;
    this.pending.add(sender);
    if (this.timer === undefined && !this.flushing) this.arm(ACK_QUIET_MS);
  }

  /** Forgets a connection that went away (its ack is no longer wanted). */
  cancel(sender: AckSender): void {
    this.pending.delete(sender);
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.check, Math.max(1, ms));
    this.timer.unref();
  }

  private readonly check = (): void => {
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const t = performance.now();
    const quietFor = t - this.lastAppliedAt;
    const waited = t - this.oldestAt;
    if (quietFor < ACK_QUIET_MS && waited < ACK_MAX_DELAY_MS) {
      this.arm(Math.min(ACK_QUIET_MS - quietFor, ACK_MAX_DELAY_MS - waited));
      return;
    }
    this.flushing = true;
    this.flushChunk(t);
  };

  private flushChunk(startedAt: number): void {
    let sent = 0;
    for (const sender of this.pending) {
      this.pending.delete(sender);
      try {
        sender.sendAck();
      } catch {
        // A socket that cannot take the ack is reconnecting; its next connection acknowledges anew.
      }
      if (++sent === ACK_CHUNK) break;
    }
    if (this.pending.size === 0) {
      this.flushing = false;
      return;
    }
    // More to send: let the socket reads of this turn run first. If messages are arriving again,
    // wait for quiet (bounded by the max delay) before the rest.
    setImmediate(() => {
      if (this.lastAppliedAt > startedAt && performance.now() - this.oldestAt < ACK_MAX_DELAY_MS) {
        this.flushing = false;
        this.arm(ACK_QUIET_MS);
        return;
      }
      this.flushChunk(performance.now());
    });
  }
}

/** The process's ack scheduler (see {@link AckScheduler}). */
export const acks = new AckScheduler();
