import type { RequestSubject, RequestSubjectMap, StreamSubject, StreamSubjectMap } from '@juggernaut/contracts';
import type { Subscription } from '@nats-io/transport-node';
import type { Bus, ConsumeOptions, ConsumerHandle, MessageContext, RespondOptions } from './bus';

/** A method that answers requests on `S`: its request and reply types are those of the contract. */
export type Responder<S extends RequestSubject> = (
  request: RequestSubjectMap[S]['request'],
  ctx: MessageContext,
) => Promise<RequestSubjectMap[S]['reply']> | RequestSubjectMap[S]['reply'];

/** A method that handles the events of `S` from a durable JetStream consumer. */
export type EventHandler<S extends StreamSubject> = (event: StreamSubjectMap[S], ctx: MessageContext) => Promise<void>;

type Declaration =
  | { kind: 'respond'; subject: RequestSubject; method: string | symbol; options: RespondOptions }
  | {
      kind: 'consume';
      subject: StreamSubject;
      method: string | symbol;
      options: ConsumeOptions | ((instance: object) => ConsumeOptions);
    };

/** The handlers each class declares, by class (a subclass also runs those of its parents). */
const declared = new WeakMap<object, Declaration[]>();

function declare(prototype: object, declaration: Declaration): void {
  const list = declared.get(prototype) ?? [];
  list.push(declaration);
  declared.set(prototype, list);
}

function declarationsOf(instance: object): Declaration[] {
  const all: Declaration[] = [];
  for (let p: object | null = Object.getPrototypeOf(instance) as object | null; p; p = Object.getPrototypeOf(p)) {
    all.unshift(...(declared.get(p) ?? []));
  }
  return all;
}

/**
 * Declares the method as the responder of a request/reply subject. The service kit finds it at boot and
 * subscribes it with `Bus.respond` (the service's queue group; the request validated against its
 * payload class, an invalid one answered with 400 and the reasons; an error answered with its status),
 * and drains it on shutdown: requests already received are answered. A method whose request or reply
 * type differs from the contract's does not compile. `flatPayload`: the request class has no
 * class-transformer decorators, so the cheaper validator applies (same rules, same reasons).
 */
export function Respond<S extends RequestSubject>(subject: S, options: RespondOptions = {}) {
  return <M extends Responder<S>>(
    prototype: object,
    method: string | symbol,
    _descriptor: TypedPropertyDescriptor<M>,
  ) => declare(prototype, { kind: 'respond', subject, method, options });
}

/**
 * Declares the method as the handler of a durable JetStream consumer (`Bus.consume`: validated payloads,
 * retries with backoff, dead letters). The service kit starts it at boot and stops it on shutdown after
 * its running handlers end. Options that depend on the instance (its config) are given as a function of it.
 */
export function Consume<S extends StreamSubject, T extends object = object>(
  subject: S,
  options: ConsumeOptions | ((instance: T) => ConsumeOptions),
) {
  return <M extends EventHandler<S>>(prototype: T, method: string | symbol, _descriptor: TypedPropertyDescriptor<M>) =>
    declare(prototype, {
      kind: 'consume',
      subject,
      method,
      options: options as ConsumeOptions | ((instance: object) => ConsumeOptions),
    });
}

/** True when the object's class declares a `@Respond` or `@Consume` handler. */
export function declaresHandlers(instance: object): boolean {
  return declarationsOf(instance).length > 0;
}

/** The running handlers of some objects; `stop` drains the responders and stops the consumers. */
export class RunningHandlers {
  private stopping?: Promise<void>;

  constructor(
    private readonly subscriptions: Subscription[],
    private readonly consumers: ConsumerHandle[],
  ) {}

  get count(): number {
    return this.subscriptions.length + this.consumers.length;
  }

  /** Takes no more requests and answers every one received (drain, not unsubscribe); stops the consumers. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.subscriptions.map((s) => s.drain().catch(() => undefined)));
      await Promise.all(this.consumers.map((c) => c.stop()));
    })();
    return this.stopping;
  }
}

/**
 * Subscribes every `@Respond` method and starts every `@Consume` method of the given objects. If one
 * cannot start, those already started are stopped and the error is thrown.
 */
export async function startHandlers(bus: Bus, instances: Iterable<object>): Promise<RunningHandlers> {
  const subscriptions: Subscription[] = [];
  const consumers: ConsumerHandle[] = [];
  try {
    for (const instance of instances) {
      for (const d of declarationsOf(instance)) {
        const fn = (instance as Record<string | symbol, unknown>)[d.method];
        if (typeof fn !== 'function')
          throw new Error(`${String(d.method)} of ${instance.constructor.name} is not a method`);
        if (d.kind === 'respond') {
          subscriptions.push(
            bus.respond(
              d.subject,
              async (request, ctx) => (fn as Responder<typeof d.subject>).call(instance, request, ctx),
              d.options,
            ),
          );
        } else {
          const options = typeof d.options === 'function' ? d.options(instance) : d.options;
          consumers.push(
            await bus.consume(d.subject, options, (event, ctx) =>
              (fn as EventHandler<typeof d.subject>).call(instance, event, ctx),
            ),
          );
        }
      }
    }
  } catch (e) {
    await new RunningHandlers(subscriptions, consumers).stop();
    throw e;
  }
  return new RunningHandlers(subscriptions, consumers);
}
