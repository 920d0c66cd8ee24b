/**
 * Keeps one dependency's deprecation warning off stderr, and no other. DEP0060
 * (`util._extend`) comes from `htmlencode`, which @vector-im/matrix-bot-sdk loads: it was
 * printed on every run, `--help` included, looked like a fault, and nothing an admin does can
 * fix it. Every other warning is printed as Node prints it. Imported first by the CLI, before
 * anything loads the bot SDK.
 */
const QUIET_CODES = new Set(['DEP0060']);

process.removeAllListeners('warning');
process.on('warning', (warning: Error & { code?: string }) => {
  if (warning.code !== undefined && QUIET_CODES.has(warning.code)) return;
  const code = warning.code ? `[${warning.code}] ` : '';
  process.stderr.write(`(node:${process.pid}) ${code}${warning.name}: ${warning.message}\n`);
});
