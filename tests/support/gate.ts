/** A promise the test resolves: holds a body, a step or an I/O until the test says so. */
export interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

/** A closed gate. */
export function gate(): Gate {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
