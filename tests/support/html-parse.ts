/** How many elements match a selector once a browser-grade parser reads the page. */
export async function countElements(html: string, selector: string): Promise<number> {
  let found = 0
  await new HTMLRewriter()
    .on(selector, {
      element() {
        found++
      },
    })
    .transform(new Response(html))
    .text()
  return found
}
