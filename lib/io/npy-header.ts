/**
 * A strict parser for the Python dict literal in a .npy header.
 *
 * numpy reads the header with ast.literal_eval; we accept the subset of Python literal syntax that
 * numpy writers produce (strings, decimal integers, True/False/None, tuples, lists) and reject
 * anything else with a precise message, instead of eval-ing it or matching it with a loose regex
 * that would mis-read reordered keys or odd spacing.
 */
import { IoFormatError } from './io-error';

/** A parsed Python literal. Integers stay text so huge values can be reported verbatim. */
export type PyLiteral =
  | { readonly kind: 'str'; readonly value: string }
  | { readonly kind: 'int'; readonly text: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'none' }
  | { readonly kind: 'tuple'; readonly items: readonly PyLiteral[] }
  | { readonly kind: 'list'; readonly items: readonly PyLiteral[] };

// Real headers nest at most two deep (a structured descr: list of tuples); the bound keeps a
// hostile "((((((..." header from overflowing the stack.
const MAX_DEPTH = 16;

/**
 * Renders a literal back as Python source, for error messages.
 *
 * @param v A parsed literal.
 * @returns Python-like text, e.g. `(2, 3)` or `'<f4'`.
 * @throws Never.
 * @example
 * formatPyLiteral({ kind: 'int', text: '3' }) === '3';
 */
export function formatPyLiteral(v: PyLiteral): string {
  switch (v.kind) {
    case 'str':
      return `'${v.value}'`;
    case 'int':
      return v.text;
    case 'bool':
      return v.value ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'tuple':
      return v.items.length === 1 ? `(${formatPyLiteral(v.items[0] as PyLiteral)},)` : `(${v.items.map(formatPyLiteral).join(', ')})`;
    case 'list':
      return `[${v.items.map(formatPyLiteral).join(', ')}]`;
  }
}

/** Options for {@link parsePyDict}. */
export interface PyDictOptions {
  /** Accept Python 2 long suffixes (`3L`), which numpy still reads in v1.0/v2.0 headers. */
  readonly allowLongSuffix: boolean;
}

/**
 * Parses a header that must be exactly one dict literal with string keys (plus whitespace).
 *
 * @param text The decoded header text.
 * @param label File path or buffer label for error messages.
 * @param options Dialect switches.
 * @returns The entries in source order.
 * @throws IoFormatError with code 'NPY_BAD_HEADER' naming the offset and problem.
 * @example
 * parsePyDict("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 'a.npy', { allowLongSuffix: true });
 */
export function parsePyDict(text: string, label: string, options: PyDictOptions): Map<string, PyLiteral> {
  return new DictParser(text, label, options).parseHeader();
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r', '\f', '\v']);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isNameStart = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z_]$/.test(c);
const isNameChar = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9_]$/.test(c);

class DictParser {
  private pos = 0;

  constructor(
    private readonly s: string,
    private readonly label: string,
    private readonly options: PyDictOptions,
  ) {}

  parseHeader(): Map<string, PyLiteral> {
    this.ws();
    if (this.peek() !== '{') this.fail('must be a Python dict literal starting with "{"');
    this.pos++;
    const entries = new Map<string, PyLiteral>();
    this.ws();
    if (this.peek() === '}') {
      this.pos++;
    } else {
      for (;;) {
        this.ws();
        const q = this.peek();
        if (q !== "'" && q !== '"') this.fail('expected a quoted string key');
        const keyAt = this.pos;
        const key = this.parseString();
        this.ws();
        this.expect(':');
        this.ws();
        const value = this.parseValue(1);
        if (entries.has(key)) this.fail(`has duplicate key '${key}'`, keyAt);
        entries.set(key, value);
        this.ws();
        const c = this.peek();
        if (c === ',') {
          this.pos++;
          this.ws();
          if (this.peek() === '}') {
            this.pos++;
            break;
          }
        } else if (c === '}') {
          this.pos++;
          break;
        } else {
          this.fail(`expected ',' or '}'`);
        }
      }
    }
    this.ws();
    if (this.pos !== this.s.length) this.fail('has unexpected text after the dict');
    return entries;
  }

  private parseValue(depth: number): PyLiteral {
    if (depth > MAX_DEPTH) this.fail(`nests deeper than ${MAX_DEPTH} levels`);
    const c = this.peek();
    if (c === "'" || c === '"') return { kind: 'str', value: this.parseString() };
    if (c === '(') return this.parseSequence(')', depth);
    if (c === '[') return this.parseSequence(']', depth);
    if (c === '-' || isDigit(c)) return this.parseInt();
    if (isNameStart(c)) return this.parseName();
    if (c === undefined) this.fail('ends in the middle of a value');
    if (c === '{') this.fail('contains a nested dict, which .npy headers never have');
    this.fail(`has unexpected character ${JSON.stringify(c)}`);
  }

  private parseSequence(close: ')' | ']', depth: number): PyLiteral {
    this.pos++;
    const items: PyLiteral[] = [];
    let sawComma = false;
    this.ws();
    if (this.peek() === close) {
      this.pos++;
    } else {
      for (;;) {
        items.push(this.parseValue(depth + 1));
        this.ws();
        const c = this.peek();
        if (c === ',') {
          sawComma = true;
          this.pos++;
          this.ws();
          if (this.peek() === close) {
            this.pos++;
            break;
          }
        } else if (c === close) {
          this.pos++;
          break;
        } else {
          this.fail(`expected ',' or '${close}'`);
        }
      }
    }
    // As in Python, "(5)" is just 5 in parentheses; only a comma makes a 1-tuple.
    if (close === ')' && items.length === 1 && !sawComma) return items[0] as PyLiteral;
    return { kind: close === ')' ? 'tuple' : 'list', items };
  }

  private parseString(): string {
    const start = this.pos;
    const quote = this.s[this.pos++];
    let out = '';
    for (;;) {
      const c = this.s[this.pos];
      if (c === undefined || c === '\n') this.fail('has an unterminated string', start);
      // numpy never writes escapes in the descrs we accept; refusing them keeps this parser tiny.
      if (c === '\\') this.fail('has an escape sequence in a string, which is not supported');
      this.pos++;
      if (c === quote) return out;
      out += c;
    }
  }

  private parseInt(): PyLiteral {
    const start = this.pos;
    if (this.peek() === '-') {
      this.pos++;
      this.ws();
    }
    const digitsAt = this.pos;
    while (isDigit(this.peek())) this.pos++;
    const digits = this.s.slice(digitsAt, this.pos);
    if (digits.length === 0) this.fail('has a "-" not followed by digits', start);
    if (digits.length > 1 && digits[0] === '0') this.fail(`has an integer with leading zeros: ${digits}`, start);
    const next = this.peek();
    if (this.options.allowLongSuffix && (next === 'L' || next === 'l') && !isNameChar(this.s[this.pos + 1])) {
      this.pos++;
    } else if (next === '.' || next === 'e' || next === 'E' || next === 'j' || next === 'J') {
      this.fail('has a non-integer number; only integers are allowed', start);
    } else if (isNameChar(next)) {
      this.fail('has a malformed number', start);
    }
    return { kind: 'int', text: this.s[start] === '-' ? `-${digits}` : digits };
  }

  private parseName(): PyLiteral {
    const start = this.pos;
    while (isNameChar(this.peek())) this.pos++;
    const name = this.s.slice(start, this.pos);
    if (name === 'True') return { kind: 'bool', value: true };
    if (name === 'False') return { kind: 'bool', value: false };
    if (name === 'None') return { kind: 'none' };
    this.fail(`has unknown name '${name}' (only True, False and None are allowed)`, start);
  }

  private ws(): void {
    while (this.pos < this.s.length && WHITESPACE.has(this.s[this.pos] as string)) this.pos++;
  }

  private peek(): string | undefined {
    return this.s[this.pos];
  }

  private expect(c: string): void {
    if (this.peek() !== c) this.fail(`expected '${c}'`);
    this.pos++;
  }

  private fail(problem: string, at: number = this.pos): never {
    const shown = this.s.length > 160 ? `${this.s.slice(0, 160)}...` : this.s;
    throw new IoFormatError('NPY_BAD_HEADER', this.label, `header ${problem} (at character ${at} of ${JSON.stringify(shown)})`);
  }
}
