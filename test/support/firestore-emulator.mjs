/**
 * A child process running `@firestore-emulator/server` (a Firestore API server in JavaScript,
 * over gRPC) on 127.0.0.1 only: its own `start()` binds 0.0.0.0, so its gRPC server is bound here
 * instead. Started by test/support/private-firestore.ts with the port as its argument; over IPC,
 * `close` cuts every connection and stops listening (the data stays), `open` listens again.
 * Its stderr carries the emulator's "Method<…> not implemented." lines, which the tests read.
 */
/* global process */
import { createRequire } from 'node:module';

import { FirestoreServer } from '@firestore-emulator/server';

// The gRPC library the emulator itself uses, so that its credentials object is recognised.
const emulatorMain = createRequire(import.meta.url).resolve('@firestore-emulator/server');
const grpc = createRequire(emulatorMain)('@grpc/grpc-js');

const address = `127.0.0.1:${Number(process.argv[2])}`;
const emulator = new FirestoreServer();
/** The emulator keeps its grpc-js Server in a private field. */
const server = emulator.server;

function listen() {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    );
  });
}

process.on('message', (message) => {
  if (message === 'close') {
    server.drain(address, 0); // GOAWAY to every connection, then close them at once
    server.unbind(address);
    process.send('closed');
  } else if (message === 'open') {
    listen().then(
      () => process.send('opened'),
      (error) => process.send(`error: ${error.message}`),
    );
  }
});
process.on('disconnect', () => process.exit(0));

listen().then(
  (port) => process.send(`listening ${port}`),
  (error) => {
    process.stderr.write(`cannot listen on ${address}: ${error.message}\n`);
    process.exit(1);
  },
);
