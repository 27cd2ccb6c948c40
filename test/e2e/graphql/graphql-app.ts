/**
 * The GraphQL fixture: a code-first schema served through @nestjs/graphql by Apollo (on Express)
 * or Mercurius (on Fastify), beside an HTTP controller that signs in. The resolver reads and
 * writes the session with the library's decorators; a guard reads it from the GraphQL context.
 */
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import {
  Body,
  Controller,
  Get,
  Injectable,
  Module,
  Post,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import {
  Args,
  Field,
  GqlExecutionContext,
  GraphQLModule,
  Int,
  Mutation,
  ObjectType,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';

import {
  ChunkedSessionModule,
  Session,
  SessionHandle,
  type ChunkedSessionOptions,
  type SessionData,
} from '../../../src/index.js';
import type { TestBrowser } from '../../support/browser.js';

@Controller()
export class SignInController {
  @Post('login')
  login(@Body() body: { user: string }, @Session() session: SessionData) {
    session.user = body.user;
    return { ok: true };
  }

  @Get('whoami')
  whoami(@Session() session: SessionData) {
    return { ...session };
  }
}

/**
 * Lets a resolver run only for a signed-in user, reading the session from the GraphQL context:
 * `req` is Express's request on Apollo, the `FastifyRequest` on Mercurius.
 */
@Injectable()
export class SignedInGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const { req } = GqlExecutionContext.create(context).getContext<{
      req: { session?: SessionData };
    }>();
    return typeof req.session?.user === 'string';
  }
}

@ObjectType()
export class Profile {
  @Field()
  name!: string;
}

@Resolver(() => Profile)
export class ProfileResolver {
  @Query(() => Profile, { nullable: true })
  profile(@Session('user') user: string | undefined): Profile | null {
    return user === undefined ? null : { name: user };
  }

  /** A field resolver: the session through the decorators there too. */
  @ResolveField(() => String, { nullable: true })
  role(@Session('role') role: string | undefined, @SessionHandle() handle: SessionHandle) {
    return handle.isNew ? null : (role ?? null);
  }
}

@Resolver()
export class SessionResolver {
  @Query(() => String, { nullable: true })
  me(@Session('user') user: string | undefined): string | null {
    return user ?? null;
  }

  @Query(() => Boolean)
  isNew(@SessionHandle() handle: SessionHandle): boolean {
    return handle.isNew;
  }

  @Query(() => String)
  @UseGuards(SignedInGuard)
  secret(): string {
    return 'for signed-in users';
  }

  @Mutation(() => Int)
  visit(@Session() session: SessionData): number {
    session.visits = ((session.visits as number | undefined) ?? 0) + 1;
    return session.visits as number;
  }

  @Mutation(() => Boolean)
  setRole(@Args('role') role: string, @Session() session: SessionData): boolean {
    session.role = role;
    return true;
  }

  /** Writes a large field: the partition must be chunked (and shrunk, past the limits). */
  @Mutation(() => Int)
  setNotes(@Args('notes') notes: string, @Session() session: SessionData): Promise<number> {
    session.notes = notes;
    return Promise.resolve(notes.length);
  }

  @Mutation(() => Boolean)
  logout(@SessionHandle() handle: SessionHandle): boolean {
    handle.destroy();
    return true;
  }
}

export type GraphqlDriver = 'apollo' | 'mercurius';

/** The GraphQL module the README shows for each driver. */
function graphqlRoot(driver: GraphqlDriver) {
  if (driver === 'mercurius') {
    // Mercurius's default context (Nest's driver adds `req`, the FastifyRequest) is enough.
    return GraphQLModule.forRoot<MercuriusDriverConfig>({
      driver: MercuriusDriver,
      autoSchemaFile: true,
    });
  }
  return GraphQLModule.forRoot<ApolloDriverConfig>({
    driver: ApolloDriver,
    autoSchemaFile: true,
    // The line the README asks for: the request in the GraphQL context.
    context: ({ req }: { req: unknown }) => ({ req }),
    includeStacktraceInErrorResponses: false,
  });
}

/** An application with GraphQL at /graphql (Apollo unless told) and the session options given. */
export function graphqlModule(
  options: ChunkedSessionOptions,
  driver: GraphqlDriver = 'apollo',
): unknown {
  @Module({
    imports: [ChunkedSessionModule.forRoot(options), graphqlRoot(driver)],
    controllers: [SignInController],
    providers: [SessionResolver, ProfileResolver, SignedInGuard],
  })
  class GraphqlAppModule {}
  return GraphqlAppModule;
}

/** Sends one GraphQL operation as a browser's fetch would: POST, JSON, the jar's cookies. */
export async function graphql(
  browser: TestBrowser,
  query: string,
  variables?: Record<string, unknown>,
) {
  return browser.post('/graphql', { query, variables });
}
