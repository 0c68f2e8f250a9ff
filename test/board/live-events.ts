/** Reading the board's server-sent events in a test: one parsed event at a time. */
export interface BoardEvent {
  event: string;
  data: any;
}

export class EventReader {
  private buffer = '';
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** The next event that satisfies `accept`, or an error after `timeoutMs`. */
  async next(accept: (event: BoardEvent) => boolean, timeoutMs: number): Promise<BoardEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let end = this.buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) {
          const parsed = { event, data: JSON.parse(data) };
          if (accept(parsed)) return parsed;
        }
        end = this.buffer.indexOf('\n\n');
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms`);
      const chunk = await Promise.race([
        this.reader.read(),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), left)),
      ]);
      if (chunk === null) continue;
      if (chunk.done) throw new Error('the event stream ended');
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  async close(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}
