// kitajs ships htmx 2 element types; htmx 4 adds <hx-partial>, which updates a second region from one response.
declare namespace JSX {
  interface IntrinsicElements {
    'hx-partial': HtmlTag & { 'hx-target': string; 'hx-swap'?: string }
  }
}
