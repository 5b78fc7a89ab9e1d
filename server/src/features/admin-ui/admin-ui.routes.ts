import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm run build -w @switchyard/admin-ui` writes the UI (the same path from server/src and server/dist). */
export const DEFAULT_ADMIN_UI_DIR = fileURLToPath(new URL('../../../../admin-ui/dist/', import.meta.url));

// The UI is one origin's static files and its own API: nothing else may run, load or frame it.
const CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'"],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
};

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchyard: admin UI not built</title></head>
<body><h1>The admin UI has not been built</h1>
<p>Run <code>npm run build</code> (or <code>npm start</code>, which builds it) in the Switchyard checkout, then reload this page.
The API at <code>/api/v1/</code> works without it.</p></body></html>
`;

export interface AdminUiOptions {
  /** Absolute path of the built UI (admin-ui/dist). */
  readonly root: string;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

/**
 * Serves the admin UI at `/`: its files, and index.html for any other page a browser asks for (the
 * UI routes with the History API). API and health paths never fall back to HTML: their 404s stay
 * JSON. The security headers (CSP allowing only this origin) apply to these responses only, so the
 * API and the SDK stream keep their own headers. A missing build is a page saying how to build, not
 * a crash, and a build made while the server runs is picked up without a restart.
 */
export const adminUiRoutes: FastifyPluginAsync<AdminUiOptions> = async (app, options) => {
  const root = resolve(options.root);
  // Both plugins are fastify-plugin wrapped: registered here, their decorators and hooks stay inside
  // this encapsulated context.
  await app.register(fastifyStatic, { root, serve: false, suppressWarning: true });
  // Not global: the headers are set only on what this plugin actually serves (reply.helmet() below),
  // so an API 404 that passes through the catch-all route keeps the API's headers.
  await app.register(helmet, {
    global: false,
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'same-origin' },
  });

  const notFound = (reply: FastifyReply): FastifyReply => {
    reply.callNotFound();
    return reply;
  };

  const serve = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    let pathname: string;
    try {
      pathname = decodeURIComponent(request.url.split('?')[0] ?? '/');
    } catch {
      return notFound(reply);
    }
    if (/^\/(api|health)(\/|$)/.test(pathname)) return notFound(reply);
    const relative = pathname.replace(/^\/+/, '');
    const file = resolve(root, relative);
    if (relative !== '' && (file === root || file.startsWith(root + sep)) && (await isFile(file))) {
      // Vite content-hashes everything under assets/, so those never change under their name.
      const immutable = relative.startsWith('assets/');
      reply.helmet();
      return reply.sendFile(relative, { maxAge: immutable ? 31_536_000_000 : 0, immutable, cacheControl: true });
    }
    // Only a page navigation (Accept: text/html) gets the app; a missing script or image stays a 404.
    // Not judged by a file extension: flag keys may contain dots (/flags/checkout.v2).
    if (!wantsHtml(request)) return notFound(reply);
    reply.helmet();
    if (!(await isFile(resolve(root, 'index.html')))) return reply.status(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT_PAGE);
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  };

  app.get('/', { config: { permission: 'public' }, logLevel: 'warn' }, serve);
  app.get('/*', { config: { permission: 'public' }, logLevel: 'warn' }, serve);
};
