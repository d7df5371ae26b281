// The only file that listens: read the config, build the lab, serve it.
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLabServer } from './server.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }

  const lab = await createLabServer(config);
  lab.httpServer.on('error', (err: NodeJS.ErrnoException) => {
    console.error(err.code === 'EADDRINUSE' ? `Port ${config.port} is in use: set PORT to another one.` : `Server error: ${err.message}`);
    process.exit(1);
  });
  lab.httpServer.listen(config.port, config.host, () => {
    console.log(`Sessions vs JWT lab: http://${config.host}:${config.port} (store: ${config.store})`);
  });

  // A bug in one request must not take the lab down for everyone: log it and carry on.
  process.on('unhandledRejection', (reason) => console.error('Unhandled rejection:', reason));

  const stop = () => {
    lab.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
