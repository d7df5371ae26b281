// npm run dev: the lab server (restarted by tsx watch when server/ changes) on LAB_API_PORT, and
// Vite serving the dashboard with hot reload on http://127.0.0.1:5173, proxying /api and
// /socket.io to the server (see vite.config.ts).
import { spawn } from 'node:child_process';
import { createServer } from 'vite';

const apiPort = process.env.LAB_API_PORT ?? '3001';
const api = spawn(process.execPath, ['--import', 'tsx', '--watch-path=server', 'server/index.ts'], {
  env: { ...process.env, PORT: apiPort, LAB_API_PORT: apiPort },
  stdio: 'inherit',
});

const vite = await createServer({ configFile: 'vite.config.ts' });
await vite.listen();
vite.printUrls();
console.log(`Dashboard with hot reload above; the lab API runs on http://127.0.0.1:${apiPort}.`);

const stop = async () => {
  api.kill('SIGTERM');
  await vite.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
api.once('exit', (code) => {
  if (code !== 0 && code !== null) console.error(`The lab server stopped (exit code ${code}); fix the error above and save to restart it.`);
});
