// The runtime route listing of an app, for crabport_routes' oracle test.
//
//   node list-routes.cjs express|fastify <entry>
//
// Prints JSON [[method, path], …] on stdout.
//
// express (4 and 5): walks the router stack as express-list-endpoints does
// (`app._router.stack` on 4, `app.router.stack` on 5). A mounted router's
// layer does not keep its mount path in a readable form (express 4 keeps a
// regexp, express 5 a matcher), so `Router#use` and `app.use` are wrapped
// before the app loads to note, on each new layer, the path it was mounted
// at and the sub-app it wraps. Route layers give `route.path` and
// `route.methods` (`_all` → ALL); middleware mounted at an explicit path
// is listed as USE.
//
// fastify: the factory is wrapped so every instance gets an `onRoute` hook
// before any route is added; `exposeHeadRoutes: false` leaves out the HEAD
// twin fastify adds to every GET.
'use strict';

const path = require('node:path');
const { pathToFileURL } = require('node:url');
const Module = require('node:module');

const [framework, entryArg] = process.argv.slice(2);
const entry = path.resolve(entryArg);
const appRequire = Module.createRequire(entry);

const ALL_METHODS = require('node:http').METHODS.map((m) => m.toLowerCase());

function join(prefix, p) {
  if (p === '/' || p === '') return prefix || '/';
  return (prefix.replace(/\/+$/, '') + '/' + p.replace(/^\/+/, '')).replace(/\/+/g, '/');
}

async function load() {
  const mod = await import(pathToFileURL(entry).href);
  return mod.default ?? mod;
}

async function listExpress() {
  const express = appRequire('express');
  const Router = express.Router;
  const proto = typeof (Router.prototype && Router.prototype.use) === 'function' ? Router.prototype : Router;
  const originalUse = proto.use;
  proto.use = function use(...args) {
    const first = args.flat(Infinity)[0];
    const explicit = typeof first === 'string' || first instanceof RegExp ||
      (Array.isArray(args[0]) && args[0].every((p) => typeof p === 'string'));
    const paths = explicit ? [args[0]].flat(Infinity).filter((p) => typeof p === 'string') : ['/'];
    const before = this.stack.length;
    const result = originalUse.apply(this, args);
    for (const layer of this.stack.slice(before)) {
      layer.__crabport = { paths, explicit };
    }
    return result;
  };
  const appProto = express.application;
  const originalAppUse = appProto.use;
  appProto.use = function use(...args) {
    const fns = args.flat(Infinity).filter((a) => typeof a === 'function');
    const explicit = typeof args[0] === 'string' || args[0] instanceof RegExp ||
      (Array.isArray(args[0]) && args[0].length > 0 && args[0].every((p) => typeof p === 'string'));
    const paths = explicit ? [args[0]].flat(Infinity).filter((p) => typeof p === 'string') : ['/'];
    // express 4 creates `_router` lazily (and `app.router` throws); 5 has `app.router`.
    const router = () => (typeof this.lazyrouter === 'function' ? this._router : this.router);
    const before = router() ? router().stack.length : 0;
    const result = originalAppUse.apply(this, args);
    const added = router().stack.slice(before);
    added.forEach((layer, i) => {
      layer.__crabport = { paths, explicit };
      const fn = fns[i];
      if (fn && fn.handle && fn.set) layer.__crabportApp = fn;
    });
    return result;
  };

  const app = await load();
  const routes = [];
  const walk = (stack, prefix) => {
    for (const layer of stack) {
      const mount = layer.__crabport || { paths: ['/'], explicit: false };
      if (layer.route) {
        let methods = Object.keys(layer.route.methods).filter((m) => layer.route.methods[m]);
        // express 5's `app.all` adds every method one by one.
        if (ALL_METHODS.every((m) => methods.includes(m))) methods = ['_all'];
        for (const p of [layer.route.path].flat()) {
          for (const m of methods) routes.push([m === '_all' ? 'ALL' : m.toUpperCase(), join(prefix, p)]);
        }
        continue;
      }
      const sub = layer.__crabportApp;
      const subStack = sub ? (typeof sub.lazyrouter === 'function' ? sub._router : sub.router).stack : layer.handle && layer.handle.stack;
      for (const p of mount.paths) {
        if (subStack) walk(subStack, join(prefix, p));
        else if (mount.explicit) routes.push(['USE', join(prefix, p)]);
      }
    }
  };
  walk((typeof app.lazyrouter === 'function' ? app._router : app.router).stack, '');
  return routes;
}

async function listFastify() {
  const resolved = appRequire.resolve('fastify');
  const original = appRequire('fastify');
  const routes = [];
  function wrapped(opts) {
    const instance = original({ ...(opts || {}), exposeHeadRoutes: false });
    instance.addHook('onRoute', (route) => {
      for (const m of [route.method].flat()) routes.push([m, route.url]);
    });
    return instance;
  }
  Object.assign(wrapped, original);
  wrapped.fastify = wrapped;
  wrapped.default = wrapped;
  require.cache[resolved].exports = wrapped;

  let app = await load();
  if (typeof app === 'function' && !app.server) app = await app();
  await app.ready();
  await app.close();
  return routes;
}

(framework === 'fastify' ? listFastify() : listExpress())
  .then((routes) => {
    process.stdout.write(JSON.stringify(routes) + '\n');
  })
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
