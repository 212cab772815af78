/**
 * Which relay node to dial next (spec documents.well_known endpoints, close_code
 * reconnect_elsewhere). A relay of several nodes sharing one identity lists their URLs; the
 * client goes through them in a random order (so a cluster's clients spread over its nodes and
 * a dead node is not everyone's first choice), moves to the next one at once when one fails,
 * and backs off only when every one has failed in a row. A session that comes up starts a new
 * round from the node it is on: when that node later goes away, the others are tried at once.
 * With one endpoint this is exactly the single relay's behaviour: every failure backs off.
 */
import { MAX_RELAY_ENDPOINTS } from '@parley/generated';

export class EndpointRing {
  readonly #random: () => number;
  #order: string[];
  #index = 0;
  /** Endpoints that failed in a row since the last session or the last backoff. */
  #failed = 0;

  /** `urls`: 1 to MAX_RELAY_ENDPOINTS distinct ws(s) URLs; `random()` in [0, 1) shuffles them. */
  constructor(urls: readonly string[], random: () => number) {
    const distinct = [...new Set(urls)];
    if (distinct.length === 0) throw new RangeError('endpoints: at least one relay URL is needed');
    if (distinct.length > MAX_RELAY_ENDPOINTS) throw new RangeError(`endpoints: at most ${MAX_RELAY_ENDPOINTS} relay URLs, got ${distinct.length}`);
    this.#random = random;
    this.#order = this.#shuffled(distinct);
  }

  /** The endpoint to dial now. */
  get current(): string {
    return this.#order[this.#index]!;
  }

  get size(): number {
    return this.#order.length;
  }

  /**
   * The current endpoint failed (could not connect, failed the handshake, closed, or asked the
   * client to reconnect elsewhere). True: another endpoint is next, dial it at once. False:
   * every endpoint failed in a row; back off, then start a new round in a fresh random order.
   */
  fail(): boolean {
    this.#failed++;
    if (this.#failed < this.#order.length) {
      this.#index = (this.#index + 1) % this.#order.length;
      return true;
    }
    this.#failed = 0;
    this.#index = 0;
    this.#order = this.#shuffled(this.#order);
    return false;
  }

  /** A session came up on the current endpoint. */
  succeeded(): void {
    this.#failed = 0;
  }

  /** Fisher-Yates with the injected random source (tests make it deterministic). */
  #shuffled(urls: readonly string[]): string[] {
    const a = [...urls];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.min(i, Math.floor(Math.max(0, this.#random()) * (i + 1)));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
}
