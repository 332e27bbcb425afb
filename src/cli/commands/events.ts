/** `meridian events watch`: follow committed module events live (the WebSocket `events` topic). */
import type { Command } from 'commander';
import { addNodeOption, clientFor } from '../client.ts';

export function registerEventsCommand(program: Command): void {
  const events = program.command('events').description('module events of committed transactions');
  addNodeOption(
    events
      .command('watch')
      .description('print events as blocks commit, until Ctrl-C')
      .option('--module <module>', 'only this module (e.g. contract, membership, governance)')
      .option('--name <name>', 'only events of this name (e.g. StepApproved)')
      .option('--json', 'one JSON object per line'),
  ).action((options: { node?: string; module?: string; name?: string; json?: boolean }) => {
    const client = clientFor(options);
    const filter = {
      ...(options.module ? { module: options.module } : {}),
      ...(options.name ? { name: options.name } : {}),
    };
    client.subscribe(
      'events',
      filter,
      (event) => {
        if (options.json) console.log(JSON.stringify(event));
        else console.log(`#${event.height}  ${event.module}.${event.name}  ${JSON.stringify(event.data)}`);
      },
      {
        onSubscribed: () =>
          console.error(
            `watching ${options.module ?? 'all modules'}${options.name ? ` / ${options.name}` : ''} events on ${client.baseUrl} (Ctrl-C stops)`,
          ),
        onError: (error) => console.error(`error: ${error.toUserString()}`),
      },
    );
    const stop = () => {
      client.close();
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
