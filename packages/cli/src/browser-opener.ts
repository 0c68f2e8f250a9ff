/**
 * `ritual board --open`: the board's URL handed to the platform's opener
 * (xdg-open on Linux and the BSDs, open on macOS, start on Windows), the
 * system's own, so the user's default-browser settings apply. Hand-written
 * rather than the `open` package: `open` 11 brings six dependencies (WSL,
 * PowerShell, default-browser detection) and on Linux runs its own bundled
 * copy of xdg-open instead of the system's, for what is one spawn here.
 */
import { spawn } from 'node:child_process';

export interface OpenerCommand {
  file: string;
  args: string[];
}

/** The command that opens `url` in the default browser on `platform`. */
export function openerCommand(url: string, platform: NodeJS.Platform = process.platform): OpenerCommand {
  if (platform === 'darwin') return { file: 'open', args: [url] };
  // start is a cmd built-in; its first quoted argument is a window title, hence the empty one
  if (platform === 'win32') return { file: 'cmd', args: ['/d', '/s', '/c', `start "" "${url}"`] };
  return { file: 'xdg-open', args: [url] };
}

/**
 * Opens `url`, failing soft: when there is no opener (a server without a desktop) or it fails, `onFailure`
 * gets one line saying why; the board keeps serving and its URL is already printed.
 */
export function openBrowser(url: string, onFailure: (reason: string) => void): void {
  const { file, args } = openerCommand(url);
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(file, args, { stdio: 'ignore', detached: true, windowsVerbatimArguments: true });
  } catch (error) {
    onFailure(`${file}: ${(error as Error).message}`);
    return;
  }
  child.on('error', (error: NodeJS.ErrnoException) =>
    onFailure(error.code === 'ENOENT' ? `${file} is not installed` : `${file}: ${error.message}`),
  );
  child.on('exit', (code) => {
    if (code !== null && code !== 0) onFailure(`${file} exited with code ${code}`);
  });
  // the opener must not keep `ritual board` from stopping on Ctrl-C
  child.unref();
}
