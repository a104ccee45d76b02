/** The benchmarks' settings from the environment. */

/** A number from the environment variable `name`, else `fallback`. */
export const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

/** A count from the environment: a whole number of at least `min`, or the run stops before it starts. */
export function count(name: string, fallback: number, min = 1): number {
  const value = env(name, fallback);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be a whole number of at least ${min}, not "${process.env[name]}"`);
  return value;
}
