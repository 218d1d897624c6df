/** Where a network target points, and whether that is this machine's loopback. */
export function isLocalHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '')
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    /^127\.\d{1,3}(?:\.\d{1,3}){0,2}$/.test(h) ||
    h === '::1' ||
    h === '0:0:0:0:0:0:0:1' ||
    /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
  )
}

/** The host part of a URL, `user@host`, `host:port` or bare host; undefined for `file:` URLs. */
export function hostOf(target: string): string | undefined {
  let rest = target.trim()
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(rest)
  if (scheme) {
    if (scheme[1]?.toLowerCase() === 'file') return undefined
    rest = rest.slice(scheme[0].length)
  }
  rest = rest.split(/[/?#]/)[0] ?? ''
  rest = rest.slice(rest.lastIndexOf('@') + 1)
  if (rest.startsWith('['))
    return rest.slice(1, rest.indexOf(']') < 0 ? undefined : rest.indexOf(']')).toLowerCase()
  if ((rest.match(/:/g)?.length ?? 0) >= 2) return rest.toLowerCase()
  return (rest.split(':')[0] ?? '').toLowerCase()
}
