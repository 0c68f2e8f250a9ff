import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const COOKIE = 'ritual_board_token';

/**
 * Who may read the board. On 127.0.0.1 (the default) only this machine can
 * connect, and requests must name it in their Host header (so a web page
 * elsewhere cannot reach the board through DNS rebinding). With `--host` the
 * board is reachable from the network and asks for a token, as Jupyter
 * does: printed once in a URL (`?token=`), then kept in a cookie.
 */
export class AccessToken {
  readonly token: string | null;

  constructor(required: boolean, token?: string) {
    this.token = required ? (token ?? randomBytes(24).toString('hex')) : null;
  }

  /**
   * Whether the request may go on. A valid `?token=` sets the cookie and
   * redirects to the same URL without it, so the token leaves the address bar.
   */
  admit(request: IncomingMessage, response: ServerResponse, url: URL, localHosts: string[]): boolean {
    if (this.token === null) {
      const host = (request.headers.host ?? '').toLowerCase();
      if (!localHosts.includes(host)) {
        refuse(response, 403, `This board answers only to ${localHosts[0]}; open it by that address.`);
        return false;
      }
      return true;
    }
    const fromQuery = url.searchParams.get('token');
    if (fromQuery !== null && this.matches(fromQuery)) {
      response.setHeader('Set-Cookie', `${COOKIE}=${this.token}; HttpOnly; SameSite=Strict; Path=/`);
      if (request.method === 'GET' && !url.pathname.startsWith('/api/')) {
        url.searchParams.delete('token');
        response.writeHead(302, { Location: `${url.pathname}${url.search}` }).end();
        return false;
      }
      return true;
    }
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if ((bearer !== undefined && this.matches(bearer)) || this.matches(cookieValue(request, COOKIE) ?? '')) {
      return true;
    }
    refuse(
      response,
      401,
      'This board needs its token: open the URL with ?token= that `ritual board` printed when it started.',
    );
    return false;
  }

  private matches(candidate: string): boolean {
    const expected = Buffer.from(this.token ?? '');
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

function cookieValue(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function refuse(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
}
