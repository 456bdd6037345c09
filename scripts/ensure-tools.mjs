// Makes sure the outside programs the tests use are on this machine, before `npm test` runs them:
// redis-cli (the end-to-end tests talk to the server with it, as users do) and redis-server (the
// differential tests compare the server's replies with the real Redis's), openssl (the TLS
// tests make their certificates with it) and chromium (the dashboard tests drive it, headless,
// through playwright-core). As root it installs
// what is missing with apt-get; otherwise it stops with the one command to run.
import { spawnSync } from 'node:child_process';

const NEEDED = [
  { program: 'redis-cli', debianPackage: 'redis-tools' },
  { program: 'redis-server', debianPackage: 'redis-server' },
  { program: 'openssl', debianPackage: 'openssl', versionArgs: ['version'] },
  { program: 'chromium', debianPackage: 'chromium' },
];

const has = (program) =>
  spawnSync(program, NEEDED.find((n) => n.program === program)?.versionArgs ?? ['--version'], { stdio: 'ignore' })
    .status === 0;
const missing = NEEDED.filter((n) => !has(n.program));
if (missing.length === 0) process.exit(0);

const packages = missing.map((n) => n.debianPackage).join(' ');
const programs = missing.map((n) => n.program).join(', ');
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const aptGet = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
if (!root || !aptGet) {
  const how = aptGet ? `sudo apt-get install -y ${packages}` : `install ${packages} (the package that has ${programs})`;
  console.error(`npm test needs ${programs}: run \`${how}\`, then npm test again`);
  process.exit(1);
}
console.error(`installing ${packages} for ${programs} (apt-get)...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
const install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages.split(' ')], {
  stdio: 'inherit',
  env,
});
if (update.status !== 0 || install.status !== 0 || missing.some((n) => !has(n.program))) {
  console.error(`could not install ${packages}: run \`apt-get install -y ${packages}\` and npm test again`);
  process.exit(1);
}
