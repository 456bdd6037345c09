// Raft messages received and not yet taken by the replica (receiveMessages()), bounded: the
// oldest is dropped beyond maxInboxMessages (Raft retries).

import type { Message } from '../../core/types.js';
import type { MessageListener } from './options.js';
import type { TcpCounters } from './stats.js';

export class Inbox<T, D> {
  private messages: Message<T, D>[] = [];

  constructor(
    private readonly maxMessages: number,
    private readonly counters: TcpCounters,
    private listener: MessageListener | null,
  ) {}

  get length(): number {
    return this.messages.length;
  }

  push(message: Message<T, D>): void {
    this.counters.counts.messagesReceived++;
    this.messages.push(message);
    if (this.messages.length > this.maxMessages) {
      this.messages.shift();
      this.counters.drop('inbox-full');
    }
  }

  /** Everything received so far, oldest first; the inbox is empty after. */
  take(): Message<T, D>[] {
    if (this.messages.length === 0) return [];
    const messages = this.messages;
    this.messages = [];
    return messages;
  }

  clear(): void {
    this.messages = [];
  }

  /** Tells the listener that messages arrived. */
  notify(): void {
    this.listener?.notifyMessages();
  }

  /** Notifies `listener` from now on, at once if messages wait. */
  attach(listener: MessageListener): void {
    this.listener = listener;
    if (this.messages.length > 0) listener.notifyMessages();
  }
}
