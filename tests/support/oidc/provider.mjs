// A real OpenID provider (panva/node-oidc-provider, OpenID Certified) for printreg's single
// sign-on tests, started on a loopback port by tests/support/oidc_provider.py.
//
// Usage: node provider.mjs '<config JSON>'
//   {"port": 4000,
//    "clients": [{"client_id": "...", "client_secret": "...", "redirect_uris": ["..."]}],
//    "accounts": {"<login>": {"email": "...", "email_verified": true}},
//    "alter": {"<client_id>": "signature" | "audience" | "expired" | "nonce" | "issuer"}}
//
// Sign-in uses the provider's development interactions: any login name that names an account
// signs in as it (the password is not checked). Consent is granted for every client up front.
// "alter" is the attacker in front of the token endpoint: for that client, the ID token of a
// successful token response is changed after the provider issued it — its payload edited with
// the signature kept ("signature"), or re-signed with the provider's own key for another
// audience ("audience"), as expired an hour ago ("expired"), with another sign-in's nonce
// ("nonce") or another issuer ("issuer").
// Prints "ready <issuer>" on stdout once it listens.

import { exportJWK, generateKeyPair, SignJWT, decodeJwt } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${config.port}`;
const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

const clients = config.clients.map((client) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  ...client,
}));

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: ['printreg-test-provider-cookie-key'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const account = config.accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
  // Every test client is first-party: grant what it asks without a consent screen.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

function b64(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function altered(idToken, how) {
  const claims = decodeJwt(idToken);
  if (how === 'signature') {
    // Claim to be someone else while keeping the provider's signature of the original.
    const [header, , signature] = idToken.split('.');
    const forged = { ...claims, email: 'registry.admin@demo.printreg.org', email_verified: true };
    return `${header}.${b64(forged)}.${signature}`;
  }
  const now = Math.floor(Date.now() / 1000);
  const changes = {
    audience: { aud: 'another-application' },
    expired: { iat: now - 7200, exp: now - 3600 },
    nonce: { nonce: 'the-nonce-of-another-sign-in' },
    issuer: { iss: 'https://another-provider.example' },
  };
  const changed = { ...claims, ...changes[how] };
  return new SignJWT(changed)
    .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid, typ: 'JWT' })
    .sign(privateKey);
}

provider.use(async (ctx, next) => {
  await next();
  const how = ctx.oidc?.route === 'token' && ctx.status === 200
    ? (config.alter ?? {})[ctx.oidc.client?.clientId] : undefined;
  if (how && ctx.body?.id_token) {
    ctx.body.id_token = await altered(ctx.body.id_token, how);
  }
});

const server = provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
