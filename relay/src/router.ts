/**
 * Who is connected, keyed by the full key pair (spec/DESIGN.md "Origins": an id is a routing hint).
 * An id maps to up to `maxKeypairsPerId` bound key pairs, each with at most one live
 * connection; frames for the id go to every bound holder and the wrong ones drop what they
 * cannot verify. A reconnect with the same key pair replaces the old connection. A key pair
 * beyond the bound is accepted but not bound (it receives nothing for that id and is told
 * nothing): the relay never answers "id in use", to anyone.
 */

export interface Holder {
  /** The 8-byte id as a map key (latin1 string). */
  readonly idKey: string;
  /** The full key pair X25519 ‖ Ed25519 as a map key (latin1 string). */
  readonly holderKey: string;
}

export interface BindResult<H> {
  /** The connection this one replaces (same key pair), to be closed with `replaced`. */
  replaced: H | undefined;
  /** False when the id already had the maximum of other key pairs bound. */
  bound: boolean;
}

export class Router<H extends Holder> {
  /** id -> bound holders, in bind order. Arrays stay tiny (<= maxKeypairsPerId). */
  readonly #byId = new Map<string, H[]>();

  constructor(readonly maxKeypairsPerId: number) {}

  /** Binds `h` for its id, replacing a live connection of the same key pair. */
  bind(h: H): BindResult<H> {
    let list = this.#byId.get(h.idKey);
    if (list === undefined) {
      this.#byId.set(h.idKey, [h]);
      return { replaced: undefined, bound: true };
    }
    for (let i = 0; i < list.length; i++) {
      const old = list[i]!;
      if (old.holderKey === h.holderKey) {
        list = list.slice();
        list[i] = h;
        this.#byId.set(h.idKey, list);
        return { replaced: old, bound: true };
      }
    }
    if (list.length >= this.maxKeypairsPerId) return { replaced: undefined, bound: false };
    this.#byId.set(h.idKey, [...list, h]);
    return { replaced: undefined, bound: true };
  }

  /** Removes `h` if it is the bound connection of its key pair (a replaced one is not). */
  unbind(h: H): void {
    const list = this.#byId.get(h.idKey);
    if (list === undefined) return;
    const i = list.indexOf(h);
    if (i < 0) return;
    if (list.length === 1) this.#byId.delete(h.idKey);
    else this.#byId.set(h.idKey, list.filter((x) => x !== h));
  }

  /**
   * The bound holders of an id, or undefined. The array is never mutated in place (bind and
   * unbind replace it), so callers may iterate it while delivering closes connections.
   */
  holders(idKey: string): readonly H[] | undefined {
    return this.#byId.get(idKey);
  }

  get ids(): number {
    return this.#byId.size;
  }

  *all(): IterableIterator<H> {
    for (const list of this.#byId.values()) yield* list;
  }
}
