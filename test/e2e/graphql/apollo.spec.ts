/** The session in GraphQL resolvers with Apollo on Express (the suite: graphql-sessions.ts). */
import { describeGraphqlSessions } from './graphql-sessions.js';

await describeGraphqlSessions('apollo');
