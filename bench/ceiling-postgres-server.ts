/**
 * Calibration for the PostgreSQL lines: the fastest a Node server can answer a request that makes
 * one durable write to PostgreSQL on this machine. Bare node:http, no framework, one pool of 10
 * (Gatehouse's default), one prepared `INSERT` of a token-sized row per request, autocommit, then a
 * small JSON answer. It is what a client_credentials token costs with nothing else around it: no
 * OAuth server writing its tokens to this PostgreSQL can beat it here, so it bounds the ratios the
 * PostgreSQL lines can show on this machine. Started by bench/run.ts as
 *
 *   node bench/ceiling-postgres-server.ts <connection string>
 *
 * It works in a schema of its own, dropped when it stops.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { tellParent } from './protocol.ts';

const connectionString = process.argv[2];
if (connectionString === undefined) throw new Error('usage: ceiling-postgres-server.ts <connection string>');

const schema = `bench_ceiling_${randomBytes(6).toString('hex')}`;
const admin = new pg.Client({ connectionString, connectionTimeoutMillis: 5000 });
await admin.connect();
await admin.query(`create schema ${schema}`);
await admin.query(`create table ${schema}.tokens (id text primary key, token_hash text not null, org_id text not null, scope text not null, created_at bigint not null, expires_at bigint not null)`);
const pool = new pg.Pool({ connectionString, max: 10, options: `-c search_path=${schema}` });
const INSERT = { name: 'ceiling_insert', text: 'insert into tokens (id, token_hash, org_id, scope, created_at, expires_at) values ($1, $2, $3, $4, $5, $6)' };

let sequence = 0;
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    const now = Date.now();
    const id = `${now.toString(36)}${(sequence++).toString(36).padStart(8, '0')}`;
    pool.query({ ...INSERT, values: [id, 'x'.repeat(43), 'org', 'api', now, now + 3_600_000] }).then(
      () => {
        const body = JSON.stringify({ access_token: id, token_type: 'Bearer', expires_in: 3600, scope: 'api' });
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
        response.end(body);
      },
      () => {
        response.writeHead(500).end();
      },
    );
  });
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  tellParent({ type: 'listening', url: `http://127.0.0.1:${port}` });
});

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  server.close(() => {
    void pool
      .end()
      .then(() => admin.query(`drop schema ${schema} cascade`))
      .finally(() => admin.end().finally(() => process.exit(0)));
  });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
