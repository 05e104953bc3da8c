// What a person sees after a program's output went to a terminal: a small emulator of the
// control sequences paycue writes (newline, carriage return, cursor up, clear to the end of the
// screen, 8 SGR colours), `width` columns wide: a longer line wraps onto the next row, as in a
// real terminal (so "cursor up N lines" misses a line that wrapped). Anything else is an error,
// so an unexpected sequence fails the test.

export type Colour = 'default' | 'black' | 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'white';
const COLOURS: Colour[] = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];

export interface Cell {
  ch: string;
  fg: Colour;
  bg: Colour;
}

export class Screen {
  readonly rows: Cell[][] = [];
  private row = 0;
  private col = 0;
  private fg: Colour = 'default';
  private bg: Colour = 'default';

  constructor(readonly width = 80) {}

  /** Feeds output as the terminal (with the usual newline translation) would receive it. */
  write(text: string): this {
    for (let i = 0; i < text.length; ) {
      const ch = text[i] as string;
      if (ch === '\x1b') {
        const m = /^\x1b\[([0-9;]*)([A-Za-z])/.exec(text.slice(i));
        if (!m) throw new Error(`unsupported escape at ${JSON.stringify(text.slice(i, i + 10))}`);
        this.control(m[1] as string, m[2] as string);
        i += m[0].length;
        continue;
      }
      if (ch === '\n') {
        this.row++;
        this.col = 0;
      } else if (ch === '\r') this.col = 0;
      else {
        const cp = String.fromCodePoint(text.codePointAt(i)!);
        this.put(cp);
        i += cp.length;
        continue;
      }
      i++;
    }
    return this;
  }

  private put(ch: string): void {
    if (this.col >= this.width) {
      this.row++;
      this.col = 0;
    }
    while (this.rows.length <= this.row) this.rows.push([]);
    const line = this.rows[this.row] as Cell[];
    while (line.length < this.col) line.push({ ch: ' ', fg: 'default', bg: 'default' });
    line[this.col++] = { ch, fg: this.fg, bg: this.bg };
  }

  private control(params: string, final: string): void {
    const nums = params === '' ? [] : params.split(';').map(Number);
    if (final === 'm') {
      for (const n of nums.length ? nums : [0]) {
        if (n === 0) [this.fg, this.bg] = ['default', 'default'];
        else if (n >= 30 && n <= 37) this.fg = COLOURS[n - 30] as Colour;
        else if (n >= 40 && n <= 47) this.bg = COLOURS[n - 40] as Colour;
        else if (n === 39) this.fg = 'default';
        else if (n === 49) this.bg = 'default';
        else throw new Error(`unsupported SGR ${n}`);
      }
    } else if (final === 'A') this.row = Math.max(0, this.row - (nums[0] || 1));
    else if (final === 'J' && (nums[0] ?? 0) === 0) {
      const line = this.rows[this.row];
      if (line) line.length = Math.min(line.length, this.col);
      this.rows.length = Math.min(this.rows.length, this.row + 1);
    } else throw new Error(`unsupported control sequence ${params}${final}`);
  }

  /** The visible text, one string per line, trailing blanks trimmed. */
  text(): string[] {
    return this.rows.map((r) => r.map((c) => c.ch).join('').trimEnd());
  }
}

/**
 * The QR modules drawn with half blocks (▀ ▄ █ and space, two modules a character, as the
 * `qrcode` package's small terminal output does): dark where the terminal paints black. Returns
 * every symbol found, top to bottom, as square matrices of booleans (true = dark).
 */
export function qrCodesOnScreen(screen: Screen): boolean[][][] {
  const coloured = (line: Cell[]) => line.some((c) => c.fg !== 'default' || c.bg !== 'default');
  const codes: boolean[][][] = [];
  for (let i = 0; i < screen.rows.length; ) {
    if (!coloured(screen.rows[i]!)) {
      i++;
      continue;
    }
    // A block of coloured lines: every character cell as two pixels, top and bottom.
    const pixels: boolean[][] = [];
    for (; i < screen.rows.length && coloured(screen.rows[i]!); i++) {
      const line = screen.rows[i]!;
      pixels.push(line.map((c) => (c.ch === '▀' || c.ch === '█' ? c.fg : c.bg) === 'black'));
      pixels.push(line.map((c) => (c.ch === '▄' || c.ch === '█' ? c.fg : c.bg) === 'black'));
    }
    // The symbol is the dark area's bounding box (finder patterns sit in three corners): square.
    const ys = pixels.flatMap((r, y) => (r.some(Boolean) ? [y] : []));
    const xs = pixels.flatMap((r) => r.flatMap((d, x) => (d ? [x] : [])));
    if (xs.length === 0) continue;
    const [top, left] = [Math.min(...ys), Math.min(...xs)];
    const size = Math.max(...xs) - left + 1;
    if (Math.max(...ys) - top + 1 !== size) throw new Error(`a dark area ${size} wide and ${Math.max(...ys) - top + 1} high is not a QR code`);
    codes.push(Array.from({ length: size }, (_, y) => Array.from({ length: size }, (_, x) => pixels[top + y]![left + x] === true)));
  }
  return codes;
}
