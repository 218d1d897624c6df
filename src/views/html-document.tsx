import type { Children } from '@kitajs/html'

export interface HtmlDocumentProps {
  /** The whole <title> text. */
  title: string
  /** Page-specific <head> content after the common meta tags. */
  head?: Children
  body: JSX.Element
}

/** The HTML5 document every page is: doctype, language, charset, viewport, title. */
export function htmlDocument({ title, head = '', body }: HtmlDocumentProps): string {
  return (
    '<!doctype html>' +
    (
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title safe>{title}</title>
          {head}
        </head>
        {body}
      </html>
    )
  )
}
