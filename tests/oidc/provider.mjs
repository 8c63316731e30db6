// A real OpenID Provider on loopback for GVO's tests: the npm package `oidc-provider`
// (pinned in package.json / package-lock.json beside this file, installed by `make test`
// into .cache/oidc-provider). Started by tests/oidc_provider.py as
//
//   node provider.mjs CONFIG.json
//
// CONFIG: {"modules": ".cache/oidc-provider/node_modules", "client": {client_id,
// client_secret, redirect_uris}, "accounts": {"alice": {"email": ..., "email_verified":
// true, "amr": ["pwd", "mfa"]}}, "clock_offset": seconds (the provider's clock is that far
// off: its ID tokens are expired or not yet valid), "wrong_keys": true (its jwks_uri
// publishes a key other than the one it signs with, under the same key id),
// "id_token_ttl": seconds its ID tokens are valid (an hour unless said)}.
//
// It listens on 127.0.0.1 on a free port and prints "READY <issuer>" once it answers.
// Its login page is a form naming an account of CONFIG (no password: the test plays the
// person at the provider); the rest is oidc-provider's own authorization code flow with
// PKCE required, discovery, JWKS and token endpoint.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const main = join(resolve(config.modules), 'oidc-provider', 'lib', 'index.js');
const { default: Provider } = await import(pathToFileURL(main).href);

if (config.clock_offset) {
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + config.clock_offset * 1000;
}

function rsaJwk(kid) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
}

const signing = rsaJwk('gvo-test-key');
const accounts = config.accounts || {};

const server = http.createServer();
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    ...config.client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signing] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub', 'amr'], email: ['email', 'email_verified'], profile: ['name'],
  },
  ttl: { IdToken: config.id_token_ttl || 3600 },
  conformIdTokenClaims: false, // the e-mail claims in the ID token, as Google and Entra do
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    if (!accounts[id]) return undefined;
    return {
      accountId: id,
      async claims() {
        const { amr, ...claims } = accounts[id]; // amr: of the login, not the account
        return { sub: id, ...claims };
      },
    };
  },
});
provider.proxy = false;

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'GET') {
    const options = Object.keys(accounts).map((id) => `<option>${escape(id)}</option>`);
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><title>Test provider</title><form method="post">
      <select name="account">${options.join('')}</select><button>Sign in</button></form>`);
    return;
  }
  const form = await readForm(req);
  const accountId = form.get('account');
  if (!accounts[accountId]) {
    res.statusCode = 400;
    res.end('no such account');
    return;
  }
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, {
    login: { accountId, amr: accounts[accountId].amr },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

const providerCallback = provider.callback();
server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    const match = url.pathname.match(/^\/interaction\/([\w-]+)$/);
    if (match) {
      await interaction(req, res, match[1]);
      return;
    }
    if (config.wrong_keys && url.pathname === '/jwks') {
      const { d, p, q, dp, dq, qi, ...other } = rsaJwk(signing.kid);
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [other] }));
      return;
    }
    providerCallback(req, res);
  } catch (err) {
    res.statusCode = 500;
    res.end(String(err));
  }
});

process.stdout.write(`READY ${issuer}\n`);
