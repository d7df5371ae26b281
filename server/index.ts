// The only file that listens: read the config, build the lab, serve it. With WORKERS > 1 this
// process becomes the cluster's primary (server/cluster.ts) and each forked worker builds a lab.
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { joinCluster, runPrimary, workerId } from './cluster.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { announceAttacker } from './lab/attacker.js';
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

  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config);

  // A bug in one request must not take the lab down for everyone: log it and carry on.
  process.on('unhandledRejection', (reason) => console.error('Unhandled rejection:', reason));

  const lab = await createLabServer(config, { worker: workerId() });
  let stopping = false;
  const stop = () => {
    if (stopping) return; // Ctrl-C reaches a worker twice: from the terminal and from the primary
    stopping = true;
    lab.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Started by another process over an IPC channel (the restart scenario's second server: see
  // server/lab/restart.ts): stop when that process goes away, even killed, rather than linger.
  if (!cluster.isWorker && process.env.LAB_STOP_WITH_PARENT === '1') process.once('disconnect', stop);

  if (cluster.isWorker) {
    joinCluster(lab); // the primary owns the port and hands this worker its connections
    return;
  }
  lab.httpServer.on('error', (err: NodeJS.ErrnoException) => {
    console.error(err.code === 'EADDRINUSE' ? `Port ${config.port} is in use: set PORT to another one.` : `Server error: ${err.message}`);
    process.exit(1);
  });
  lab.httpServer.listen(config.port, config.host, () => {
    const { port } = lab.httpServer.address() as AddressInfo; // PORT=0: the one the system picked
    console.log(`Sessions vs JWT lab: http://${config.host}:${port} (store: ${config.store})`);
    // The CSRF and XSS scenarios' second site (docs/attacks.md#csrf); the lab runs fine without it.
    void announceAttacker(`http://${config.host}:${port}`, config.attackerPort).then((origin) => (lab.attacker.origin = origin));
  });
}

main().catch((err: unknown) => {
  // e.g. DATA_DIR cannot be written: say so in one line and stop, rather than run without serving
  console.error(`The lab could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
