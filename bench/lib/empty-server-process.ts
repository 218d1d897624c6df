import { fileURLToPath } from 'node:url'

export interface EmptyServer {
  url: string
  kill(): Promise<void>
}

/** Starts bench/lib/empty-server.ts and resolves once it listens. */
export async function startEmptyServer(): Promise<EmptyServer> {
  const child = Bun.spawn([process.execPath, fileURLToPath(new URL('./empty-server.ts', import.meta.url))], {
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const reader = child.stdout.getReader()
  let printed = ''
  while (!printed.includes('\n')) {
    const { value, done } = await reader.read()
    if (done) throw new Error('the empty server ended before it listened')
    printed += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  return {
    url: `http://127.0.0.1:${printed.trim()}`,
    kill: async () => {
      child.kill()
      await child.exited
    },
  }
}
