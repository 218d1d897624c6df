import { RunnerDirInUse, RunnerDirLock } from '../../src/runner-host/dir-lock'

/** Takes the runner directory lock of argv[2], says so, holds it until stdin closes, then gives it up. */
try {
  const lock = RunnerDirLock.acquire(process.argv[2] ?? '')
  console.log('held')
  // Held until the test closes stdin.
  await Bun.stdin.stream().pipeTo(new WritableStream())
  lock.release()
} catch (error) {
  if (!(error instanceof RunnerDirInUse)) throw error
  console.log(`refused: ${error.message}`)
  process.exit(2)
}
