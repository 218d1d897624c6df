import type { Socket } from 'node:net'

/**
 * Joins two connections byte for byte, both ways: an end on one side ends the other's writing
 * (sockets opened with allowHalfOpen keep the other direction going), an error or a close on
 * either destroys both.
 */
export function splice(a: Socket, b: Socket): void {
  const destroy = () => {
    a.destroy()
    b.destroy()
  }
  a.on('error', destroy).on('close', destroy)
  b.on('error', destroy).on('close', destroy)
  a.pipe(b)
  b.pipe(a)
}
