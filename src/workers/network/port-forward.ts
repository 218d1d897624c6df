import net, { type Server } from 'node:net'
import type { Endpoint } from '../../policy/endpoints'
import { splice } from './splice'

/** Relays every connection on its socket to one loopback endpoint of the host (a model server there). */
export function portForward(target: Endpoint): Server {
  return net.createServer({ allowHalfOpen: true }, (client) => {
    splice(client, net.connect({ host: target.host, port: target.port, allowHalfOpen: true }))
  })
}
