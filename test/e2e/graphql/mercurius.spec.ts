/**
 * The session in GraphQL resolvers with Mercurius on Fastify (the suite: graphql-sessions.ts).
 * mercurius is held at 16.9 in devDependencies: 16.10 takes @fastify/static 10.1.5+, whose
 * content-disposition 3 is ESM only, which Jest's CommonJS loader cannot require on Node 20.
 */
import { describeGraphqlSessions } from './graphql-sessions.js';

await describeGraphqlSessions('mercurius');
