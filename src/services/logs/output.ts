/** The reader of stdout went away (`sgn logs tail | head`): stop quietly. */
export class PipeClosed extends Error {
  constructor() {
    super('stdout was closed');
  }
}

export interface Writer {
  /** Writes text, waiting while the stream's buffer is full so that memory stays flat. */
  write(text: string): Promise<void>;
}

/**
 * A writer over stdout that honours back-pressure (a slow pipe slows reading from AWS instead
 * of buffering the whole log) and turns a closed pipe (EPIPE) into PipeClosed.
 */
export function streamWriter(stream: NodeJS.WritableStream): Writer {
  let broken = false;
  // Kept for the life of the process: an EPIPE can be reported after the last write returned.
  stream.on('error', () => {
    broken = true;
  });
  return {
    async write(text) {
      if (broken) throw new PipeClosed();
      if (text && !stream.write(text)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            stream.off('drain', done);
            stream.off('error', done);
            stream.off('close', done);
            resolve();
          };
          stream.on('drain', done);
          stream.on('error', done);
          stream.on('close', done);
        });
      }
      if (broken) throw new PipeClosed();
    },
  };
}
