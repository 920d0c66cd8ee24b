import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config';
import { ConfigError } from '../../../src/config/errors';
import { generateRegistration } from '../../../src/registration';
import { checkRegistration } from '../../../src/startup';
import { checkRegistrationConsistency } from '../../../src/startup/registration-consistency';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const sample = () => parseConfig(readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8'));

test('a registration generated from the config fits it: no problem, no warning', () => {
  const config = sample();
  assert.deepEqual(checkRegistrationConsistency(generateRegistration(config), config), { problems: [], warnings: [] });
});

test('another bot name, domain or ghost template is refused, every problem with its key', () => {
  const config = sample();
  const registration = generateRegistration({ ...config, appservice: { ...config.appservice, bot_username: 'otherbot', ghost_username_template: 'sig_{phone}' } });
  config.homeserver.domain = 'example.com';
  const { problems } = checkRegistrationConsistency(registration, config);
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.match(problems[0], /^appservice\.bot_username is interopbot but the registration's sender_localpart is otherbot/);
  assert.match(problems[1], /^namespaces\.users \(registration\): no regex matches the ghost users this config makes \(@wa_\+4915112345678:example\.com.*appservice\.ghost_username_template and homeserver\.domain/);
  assert.throws(() => checkRegistration(registration, config, { info() {}, warn() {}, error() {} }), (error: Error) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems, problems);
    return true;
  });
});

test('only the domain differs: refused, naming homeserver.domain', () => {
  const config = sample();
  const registration = generateRegistration(config);
  config.homeserver.domain = 'elsewhere.org';
  assert.match(checkRegistrationConsistency(registration, config).problems.join('\n'), /@wa_\+4915112345678:elsewhere\.org.*homeserver\.domain/);
});

test('missing user namespaces and a broken regex are refused', () => {
  const config = sample();
  const none = { ...generateRegistration(config), namespaces: { users: [], aliases: [], rooms: [] } };
  assert.match(checkRegistrationConsistency(none, config).problems[0], /^namespaces\.users \(registration\): empty/);
  const broken = { ...generateRegistration(config), namespaces: { users: [{ exclusive: true, regex: '@wa_(' }], aliases: [], rooms: [] } };
  assert.match(checkRegistrationConsistency(broken, config).problems[0], /^namespaces\.users\[0\]\.regex \(registration\): not a valid regular expression/);
});

test('a URL on another port (a proxy, say) or another id is warned about, not refused', () => {
  const config = sample();
  const logged: string[] = [];
  const registration = { ...generateRegistration(config, 'https://bridge.example.org'), id: 'other-id' };
  checkRegistration(registration, config, { info() {}, warn: (m) => logged.push(m), error() {} });
  assert.equal(logged.length, 2);
  assert.match(logged[0], /^url \(registration\) is https:\/\/bridge\.example\.org, port 443, but the bridge listens on appservice\.port 29330; fine behind a proxy/);
  assert.match(logged[1], /^appservice\.id is interop but the registration's id is other-id/);
});

test('same port, another host than appservice.url: a warning naming both', () => {
  const config = sample();
  const { problems, warnings } = checkRegistrationConsistency(generateRegistration(config, `http://bridge.internal:${config.appservice.port}`), config);
  assert.deepEqual(problems, []);
  assert.deepEqual(warnings, [`url (registration) is http://bridge.internal:${config.appservice.port} but appservice.url is ${config.appservice.url}; the homeserver uses the registration's`]);
});

test('a registration url that is not a URL is refused', () => {
  const config = sample();
  assert.match(checkRegistrationConsistency({ ...generateRegistration(config), url: 'not a url' }, config).problems[0], /^url \(registration\): "not a url" is not a URL/);
});

test('encryption on with a registration made without it: refused, naming the missing keys', () => {
  const config = sample();
  const registration = generateRegistration(config);
  config.security.encryption = 'allow';
  const { problems } = checkRegistrationConsistency(registration, config);
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0], /^security\.encryption is allow but the registration lacks io\.element\.msc4190: true, org\.matrix\.msc3202: true;/);
  assert.deepEqual(checkRegistrationConsistency(generateRegistration(config), config).problems, [], 'one generated with encryption on fits');
});
