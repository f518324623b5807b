import { returnList, Server } from '@rpc/server';

/** The class the demo server exports: a notebook of lines, shared by whoever holds it. */
export class Notebook {
  static #shared: Notebook | undefined;
  readonly title: string;
  readonly #lines: string[] = [];

  constructor(title: string) {
    this.title = title;
  }

  /** The one notebook every client sees (a `_singleton`). */
  static shared(): Notebook {
    return (Notebook.#shared ??= new Notebook('shared'));
  }

  /** Adds a line; answers how many lines the notebook has. */
  write(line: string): number {
    return this.#lines.push(line);
  }

  words(): number {
    return this.#lines.reduce((sum, line) => sum + line.split(/\s+/).filter(Boolean).length, 0);
  }

  /** The lines containing `word`, and how many there are: two return values, as a Perl method returns a list. */
  search(word: string) {
    const found = this.#lines.filter((line) => line.split(/\s+/).includes(word));
    return returnList(found, found.length);
  }

  /** A new notebook with the same lines (an `_object` method: the client gets a remote object). */
  copy(title: string): Notebook {
    const copy = new Notebook(title);
    for (const line of this.#lines) copy.write(line);
    return copy;
  }

  /** Appends the lines of another notebook the client passes in. */
  append(other: Notebook): number {
    for (const line of other.#lines) this.write(line);
    return this.#lines.length;
  }

  /** Which connection is asking: the server knows the connection of the call it is serving. */
  whoAmI(): string {
    return `client ${Server.instance?.activeConnection?.cid ?? '?'}`;
  }
}
