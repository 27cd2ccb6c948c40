import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { Session, SessionHandle } from '../../../src/index.js';

/** Signs in (remembered or not), reads, and uses the handle: every route answers what it saw. */
@Controller()
export class RememberController {
  @Get('me')
  me(@Session() session: Record<string, unknown>, @SessionHandle() handle: SessionHandle) {
    return { session, isRemembered: handle.isRemembered, isNew: handle.isNew };
  }

  /** As a login form would: new ids, the fields, and "keep me signed in" when ticked. */
  @Post('login')
  @HttpCode(200)
  login(
    @Session() session: Record<string, unknown>,
    @SessionHandle() handle: SessionHandle,
    @Body() body: { fields: Record<string, unknown>; remember?: boolean },
  ) {
    handle.regenerate();
    Object.assign(session, body.fields);
    if (body.remember) handle.remember();
    return { isRemembered: handle.isRemembered };
  }

  @Post('set')
  @HttpCode(200)
  set(@Session() session: Record<string, unknown>, @Body() fields: Record<string, unknown>) {
    Object.assign(session, fields);
    return { ok: true };
  }

  /** `remember(on)`; without `on`, `remember()` (its default, true). */
  @Post('remember')
  @HttpCode(200)
  remember(@SessionHandle() handle: SessionHandle, @Body() body: { on?: boolean }) {
    if (body.on === undefined) handle.remember();
    else handle.remember(body.on);
    return { isRemembered: handle.isRemembered };
  }

  @Post('regenerate')
  @HttpCode(200)
  regenerate(@SessionHandle() handle: SessionHandle) {
    handle.regenerate();
    return { isRemembered: handle.isRemembered };
  }

  @Post('destroy')
  @HttpCode(200)
  destroy(@SessionHandle() handle: SessionHandle) {
    handle.destroy();
    return { isRemembered: handle.isRemembered };
  }

  /** Logs out and signs in again in one request: the new session starts plain. */
  @Post('destroy-and-write')
  @HttpCode(200)
  destroyAndWrite(@SessionHandle() handle: SessionHandle, @Body() fields: Record<string, unknown>) {
    handle.remember();
    handle.destroy();
    Object.assign(handle.data, fields);
    return { isRemembered: handle.isRemembered };
  }
}
