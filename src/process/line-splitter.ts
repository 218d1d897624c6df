/**
 * Turns a stream of text chunks into lines. Complete lines are emitted as they arrive (without
 * their "\n" or "\r\n"); the unfinished tail is kept until a newline arrives or `flushPartial()`
 * is called (a prompt waiting for input has no newline). Lines longer than `maxLine` are cut
 * into several, so one runaway line cannot exhaust memory.
 */
export class LineSplitter {
  private partial = ''

  constructor(
    private readonly emit: (line: string, partial: boolean) => void,
    private readonly maxLine = 16 * 1024,
  ) {}

  push(text: string): void {
    let start = 0
    let newline = text.indexOf('\n', start)
    if (newline === -1) {
      this.partial += text
      this.cutLongPartial()
      return
    }
    let line = this.partial + text.slice(start, newline)
    this.partial = ''
    while (true) {
      this.emitComplete(line)
      start = newline + 1
      newline = text.indexOf('\n', start)
      if (newline === -1) break
      line = text.slice(start, newline)
    }
    this.partial = text.slice(start)
    this.cutLongPartial()
  }

  /** Emits the unfinished tail, if any, as a partial line. */
  flushPartial(): boolean {
    if (this.partial === '') return false
    const tail = this.partial
    this.partial = ''
    this.emit(tail, true)
    return true
  }

  get pendingPartial(): string {
    return this.partial
  }

  private emitComplete(line: string): void {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line
    if (text.length <= this.maxLine) {
      this.emit(text, false)
      return
    }
    for (let i = 0; i < text.length; i += this.maxLine) this.emit(text.slice(i, i + this.maxLine), false)
  }

  private cutLongPartial(): void {
    while (this.partial.length > this.maxLine) {
      this.emit(this.partial.slice(0, this.maxLine), false)
      this.partial = this.partial.slice(this.maxLine)
    }
  }
}
