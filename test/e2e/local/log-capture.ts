/**
 * Captures what the operator and the forwarder pods log during an e2e run, so tests can check
 * that no secret value was ever logged and see which forwarder pods ran.
 */
export class LogCapture {
  readonly operatorLines: string[] = [];
  /** Lines per pod, keyed `namespace/pod`, in arrival order. */
  readonly forwarderLines = new Map<string, string[]>();
  /** Set E2E_VERBOSE=1 to see every line on stderr while a test runs. */
  readonly #echo = process.env.E2E_VERBOSE === '1';

  readonly onOperatorLine = (line: string): void => {
    this.operatorLines.push(line);
    if (this.#echo) process.stderr.write(`[operator] ${line}\n`);
  };

  readonly onForwarderLine = (pod: string, line: string): void => {
    let lines = this.forwarderLines.get(pod);
    if (lines === undefined) {
      lines = [];
      this.forwarderLines.set(pod, lines);
    }
    lines.push(line);
    if (this.#echo) process.stderr.write(`[${pod}] ${line}\n`);
  };

  /** Names of the forwarder pods that printed anything in `namespace`, in first-seen order. */
  podsIn(namespace: string): string[] {
    return [...this.forwarderLines.keys()]
      .filter((key) => key.startsWith(`${namespace}/`))
      .map((key) => key.slice(namespace.length + 1));
  }

  /**
   * Every captured stream as one text per source. A pod's lines are joined without a separator
   * too, because the runner splits output at chunk boundaries: a value cut in two must still match.
   */
  texts(): Array<[string, string]> {
    const out: Array<[string, string]> = [['operator log', this.operatorLines.join('\n')]];
    for (const [pod, lines] of this.forwarderLines) {
      out.push([`forwarder log of ${pod}`, lines.join('\n')]);
      out.push([`forwarder log of ${pod} (joined)`, lines.join('')]);
    }
    return out;
  }
}
