// A real OpenID Connect provider (oidc-provider) for Zona's SSO tests, on loopback.
//
// Configured by the JSON file named in OIDC_CONFIG:
//   { "port": 0, "issuer": "http://127.0.0.1:<port>", "jwks": {"keys": [<private JWKs>]},
//     "clients": [<client metadata>], "users": {"<sub>": {<claims>}},
//     "redirect_hosts": ["127.0.0.1", "testserver"] }
// Sign-in uses the library's development login and consent pages (any password), so the
// browser test goes through the provider's own pages. A tiny admin API for the tests:
//   POST /__test/users/<sub>          body: claims   -> replace that person's claims
//   POST /__test/users/<sub>/disable                  -> the person no longer exists here
//   POST /__test/tamper               body: {"id_token": "..."}
//                                     -> the next token answer carries that ID token
// Keys are rotated by starting the script again with other keys (tests/support/oidc_provider.py).
import fs from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.env.OIDC_CONFIG, 'utf8'));
const users = config.users || {};
const disabled = new Set(config.disabled || []);
const redirectHosts = new Set(config.redirect_hosts || ['127.0.0.1']);
let tamperedIdToken = null;

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: config.jwks,
  cookies: { keys: ['zona-test-cookie-key'] },
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email'],
    zona: ['org_code', 'groups'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'zona'],
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  // A refresh token for every code exchange of a client allowed the grant (as Keycloak does).
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: false,
  async findAccount(ctx, sub) {
    if (!users[sub] || disabled.has(sub)) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, ...users[sub] };
      },
    };
  },
});

// Loopback redirect URIs on any port: the test servers pick free ports.
const allowed = (value, path) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && redirectHosts.has(url.hostname) && url.pathname === path;
  } catch {
    return false;
  }
};
provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(value) {
  return allowed(value, '/sso/callback');
};
provider.Client.prototype.postLogoutRedirectUriAllowed = function postLogout(value) {
  return allowed(value, '/login');
};

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && tamperedIdToken && ctx.status === 200 && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: tamperedIdToken };
    tamperedIdToken = null;
  }
});

const readJson = (req) => new Promise((resolve, reject) => {
  let data = '';
  req.on('data', (chunk) => { data += chunk; });
  req.on('end', () => {
    try { resolve(data ? JSON.parse(data) : {}); } catch (err) { reject(err); }
  });
});

async function admin(req, res) {
  const parts = new URL(req.url, 'http://x').pathname.split('/').filter(Boolean);
  const body = await readJson(req);
  if (parts[1] === 'users' && parts[2] && parts[3] === 'disable') {
    disabled.add(decodeURIComponent(parts[2]));
  } else if (parts[1] === 'users' && parts[2]) {
    const sub = decodeURIComponent(parts[2]);
    users[sub] = body;
    disabled.delete(sub);
  } else if (parts[1] === 'tamper') {
    tamperedIdToken = body.id_token;
  } else {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(204).end();
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/__test/')) {
    if (req.method !== 'POST') { res.writeHead(405).end(); return; }
    admin(req, res).catch((err) => { res.writeHead(400).end(String(err)); });
    return;
  }
  callback(req, res);
});
server.listen(config.port, '127.0.0.1', () => {
  console.log(`oidc-provider ready on ${config.issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
