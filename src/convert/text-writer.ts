/**
 * Accumulates plain text the way a browser lays out HTML: runs of whitespace collapse to
 * one space, block boundaries become newlines, and neither leading nor trailing breaks
 * survive. Breaks are applied lazily (only when more content follows), which is what keeps
 * `<p>a</p><p>b</p>` from starting or ending with blank lines.
 */
export class TextWriter {
  private out = '';
  private pendingSpace = false;
  private pendingNewlines = 0;
  /** whitespace came before any content (the caller may need to keep a space outside) */
  leadingSpace = false;

  get isEmpty(): boolean {
    return this.out === '';
  }

  /** Ordinary HTML text: whitespace collapses. */
  text(text: string): void {
    for (const piece of text.split(/(\s+)/u)) {
      if (piece === '') continue;
      if (/^\s+$/u.test(piece)) {
        if (this.out === '') this.leadingSpace = true;
        else this.pendingSpace = true;
      } else {
        this.emit(piece);
      }
    }
  }

  /** Text written exactly as given (code, already-built lines). */
  literal(text: string): void {
    if (text !== '') this.emit(text);
  }

  /** `<br>`: each one is a newline, so two in a row leave a blank line. */
  lineBreak(): void {
    if (this.out !== '') this.pendingNewlines += 1;
    this.pendingSpace = false;
  }

  /** A block boundary: at least `newlines` newlines before the next content. */
  block(newlines: number): void {
    if (this.out !== '') this.pendingNewlines = Math.max(this.pendingNewlines, newlines);
    this.pendingSpace = false;
  }

  /** Ask for a space before the next content (if any content came before). */
  space(): void {
    if (this.out === '') this.leadingSpace = true;
    else if (this.pendingNewlines === 0) this.pendingSpace = true;
  }

  get trailingSpace(): boolean {
    return this.pendingSpace;
  }

  toString(): string {
    return this.out;
  }

  private emit(piece: string): void {
    if (this.out !== '') {
      if (this.pendingNewlines > 0) this.out += '\n'.repeat(this.pendingNewlines);
      else if (this.pendingSpace) this.out += ' ';
    }
    this.pendingNewlines = 0;
    this.pendingSpace = false;
    this.out += piece;
  }
}
