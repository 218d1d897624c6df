/** The last lines of a check's output, bounded in lines and characters: what a verdict and a fix prompt quote. */
export class OutputTail {
  private readonly lines: string[] = []
  private chars = 0

  constructor(
    private readonly maxLines = 40,
    private readonly maxChars = 4000,
  ) {}

  add(line: string): void {
    const kept = line.length > this.maxChars ? line.slice(-this.maxChars) : line
    this.lines.push(kept)
    this.chars += kept.length
    while (this.lines.length > this.maxLines || this.chars > this.maxChars) {
      this.chars -= this.lines.shift()?.length ?? 0
    }
  }

  toString(): string {
    return this.lines.join('\n')
  }
}
