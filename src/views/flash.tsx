/** A message in the #flash area: what happened, or what went wrong and why. */
export interface FlashProps {
  kind: 'ok' | 'error'
  message: string
  /** Files named by a merge conflict. */
  files?: string[]
  link?: { href: string; label: string }
}

export function Flash({ kind, message, files, link }: FlashProps): JSX.Element {
  return (
    <div class={`flash flash-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      <p>
        <strong>{kind === 'error' ? 'Could not do that: ' : ''}</strong>
        <span safe>{message}</span>
        {link ? (
          <>
            {' '}
            <a href={link.href} safe>
              {link.label}
            </a>
          </>
        ) : (
          ''
        )}
      </p>
      {files && files.length > 0 ? (
        <ul class="conflicts" aria-label="Conflicting files">
          {files.map((file) => (
            <li>
              <code safe>{file}</code>
            </li>
          ))}
        </ul>
      ) : (
        ''
      )}
      <button type="button" class="flash-close" aria-label="Dismiss">
        ×
      </button>
    </div>
  )
}
