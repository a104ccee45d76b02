/**
 * A minimal OpenTelemetry SDK for tests, written against @opentelemetry/api's interfaces only (no SDK
 * package is installed): a TracerProvider that records every span it starts, with its parent's span
 * context, and an AsyncLocalStorage ContextManager so `context.with` nests as the real SDK's does.
 * `installTestTracing()` registers both globally; its `uninstall()` puts the API back to no-ops.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import {
  type Attributes,
  type AttributeValue,
  type Context,
  type ContextManager,
  context,
  type Exception,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';

/** A span the test tracer started. */
export class RecordedSpan implements Span {
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  readonly exceptions: Exception[] = [];
  ended = false;

  constructor(
    public name: string,
    readonly parent: SpanContext | undefined,
    readonly attributes: Record<string, AttributeValue | undefined>,
    private readonly own: SpanContext,
    readonly tracerName: string,
  ) {}

  spanContext(): SpanContext {
    return this.own;
  }
  setAttribute(key: string, value: AttributeValue): this {
    this.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    Object.assign(this.attributes, attributes);
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.status = status;
    return this;
  }
  updateName(name: string): this {
    this.name = name;
    return this;
  }
  end(): void {
    this.ended = true;
  }
  isRecording(): boolean {
    return !this.ended;
  }
  recordException(exception: Exception): void {
    this.exceptions.push(exception);
  }
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** A Tracer that records its spans into `spans`. */
class RecordingTracer implements Tracer {
  constructor(
    private readonly name: string,
    private readonly spans: RecordedSpan[],
  ) {}

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = context.active()): Span {
    const parent = trace.getSpanContext(ctx);
    const valid = parent !== undefined && isSpanContextValid(parent);
    const own = { traceId: valid ? parent.traceId : hex(16), spanId: hex(8), traceFlags: 1 };
    const span = new RecordedSpan(
      name,
      valid ? parent : undefined,
      { ...options.attributes },
      own,
      this.name,
    );
    this.spans.push(span);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest.at(-1) as F;
    const options = (rest.length > 1 ? rest[0] : {}) as SpanOptions;
    const ctx = (rest.length > 2 ? rest[1] : context.active()) as Context;
    const span = this.startSpan(name, options, ctx);
    return context.with(trace.setSpan(ctx, span), () => fn(span)) as ReturnType<F>;
  }
}

/** Records every span of every tracer it hands out. */
export class RecordingTracerProvider implements TracerProvider {
  readonly spans: RecordedSpan[] = [];
  getTracer(name: string): Tracer {
    return new RecordingTracer(name, this.spans);
  }
}

/** A ContextManager on AsyncLocalStorage, as the Node SDK registers. */
class AsyncContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as (...a: unknown[]) => unknown;
    return ((...a: unknown[]) => this.with(ctx, () => fn(...a))) as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

/** Injects and extracts `traceparent` as @opentelemetry/core's W3CTraceContextPropagator does (no tracestate). */
class TraceparentPropagator implements TextMapPropagator {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(ctx);
    if (sc === undefined || !isSpanContextValid(sc)) return;
    const flags = (sc.traceFlags & 0xff).toString(16).padStart(2, '0');
    setter.set(carrier, 'traceparent', `00-${sc.traceId}-${sc.spanId}-${flags}`);
  }
  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const raw = getter.get(carrier, 'traceparent');
    const value = Array.isArray(raw) ? raw[0] : raw;
    const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value ?? '');
    if (match === null) return ctx;
    const [, traceId = '', spanId = '', flags = '0'] = match;
    return trace.setSpanContext(ctx, {
      traceId,
      spanId,
      traceFlags: Number.parseInt(flags, 16),
      isRemote: true,
    });
  }
  fields(): string[] {
    return ['traceparent'];
  }
}

/** Registers a recording provider, a context manager and a traceparent propagator; `uninstall` undoes it. */
export function installTestTracing(): { provider: RecordingTracerProvider; uninstall: () => void } {
  const provider = new RecordingTracerProvider();
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncContextManager().enable());
  propagation.setGlobalPropagator(new TraceparentPropagator());
  return {
    provider,
    uninstall: () => {
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
