import { buildConvertApi } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { DataDirInUseError } from './store.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.generatedKey) {
    console.log(`api key: ${config.generatedKey.key} (kept in ${config.generatedKey.file})`);
  }
  const api = await buildConvertApi(config.options);
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await api.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  if (config.stopWhenStdinEnds) {
    // The dashboard holds the other end of this pipe. However it ends, even by kill -9, the OS closes its end, and
    // the service stops with it instead of running on, unreachable, with the data folder still held.
    process.stdin.on('end', () => void shutdown());
    process.stdin.on('error', () => void shutdown());
    process.stdin.resume();
  }
  await api.app.listen({ host: config.host, port: config.port });
  const address = api.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  // The dashboard server parses this exact line (with port 0 it is the only way to learn the port).
  console.log(`listening on http://${host}:${port}`);
}

main().catch((error: unknown) => {
  console.error(`convert-api: ${error instanceof ConfigError || error instanceof DataDirInUseError ? error.message : error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
