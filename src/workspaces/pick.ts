import { homedir } from 'node:os'
import { AppError } from '../errors.ts'
import { resolveWorkspace, type WorkspaceRef } from './paths.ts'

export interface PickFolderOptions {
  prompt?: string
  /** The host to pick for; injectable so each platform's wiring can be exercised. */
  platform?: NodeJS.Platform
  /** Environment for finding and running the dialog program (PATH, DISPLAY). */
  env?: Record<string, string | undefined>
}

interface Dialog {
  argv: string[]
  /** Whether a failed run means the user dismissed the dialog rather than an error. */
  cancelled: (exitCode: number, stderr: string) => boolean
}

/**
 * Opens the host's native folder chooser (osascript on macOS; zenity or kdialog on a Linux desktop)
 * and returns the chosen folder, or null when the user cancels. The dialog appears on the machine
 * running the server. Hosts without one get a 501 so the UI can fall back to the folder browser.
 */
export async function pickFolder(options: PickFolderOptions = {}): Promise<WorkspaceRef | null> {
  const env = options.env ?? process.env
  const dialog = findDialog(
    options.platform ?? process.platform,
    env,
    options.prompt ?? 'Choose a workspace folder',
  )
  if (!dialog) {
    throw new AppError(
      'not_implemented',
      'folder_dialog_unavailable',
      'no native folder dialog on this host (needs osascript on macOS, or zenity or kdialog with a display on Linux); use the folder browser instead',
    )
  }
  const child = Bun.spawn(dialog.argv, { env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  if (exitCode !== 0) {
    if (dialog.cancelled(exitCode, stderr)) return null
    throw new AppError(
      'precondition',
      'folder_dialog_failed',
      `the folder dialog failed: ${stderr.trim() || `exit ${exitCode}`}`,
    )
  }
  // Only the trailing newline is the program's; a path may legitimately end in spaces.
  const chosen = stdout.replace(/\r?\n$/, '')
  return chosen ? resolveWorkspace(chosen) : null
}

function findDialog(
  platform: NodeJS.Platform,
  env: Record<string, string | undefined>,
  prompt: string,
): Dialog | null {
  const which = (command: string) => Bun.which(command, { PATH: env.PATH ?? '' })
  if (platform === 'darwin') {
    const osascript = which('osascript')
    if (!osascript) return null
    const quoted = prompt.replace(/[\\"]/g, '\\$&')
    return {
      argv: [osascript, '-e', `POSIX path of (choose folder with prompt "${quoted}")`],
      // AppleScript reports a dismissed dialog as error -128, "User canceled."
      cancelled: (_code, stderr) => stderr.includes('-128'),
    }
  }
  if (platform === 'win32' || (!env.DISPLAY && !env.WAYLAND_DISPLAY)) return null
  const zenity = which('zenity')
  if (zenity) {
    return {
      argv: [zenity, '--file-selection', '--directory', `--title=${prompt}`],
      cancelled: (code) => code === 1,
    }
  }
  const kdialog = which('kdialog')
  if (kdialog) {
    return {
      argv: [kdialog, '--getexistingdirectory', homedir(), '--title', prompt],
      cancelled: (code) => code === 1,
    }
  }
  return null
}
