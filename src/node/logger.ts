/** Structured JSON logs (pino). One logger per node, with the node's name on every line. */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(options: { name: string; level?: string; destination?: string }): Logger {
  const destination = options.destination
    ? pino.destination({ dest: options.destination, mkdir: true, sync: false })
    : undefined;
  return pino(
    { name: options.name, level: options.level ?? 'info', base: { node: options.name } },
    destination,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
