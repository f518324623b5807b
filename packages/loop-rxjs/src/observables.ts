import type { Subscription as RpcSubscription } from '@rpc/loop';
import { from, Observable, type OperatorFunction } from 'rxjs';

/** Anything with `@rpc`'s `on(event, listener)` returning a subscription: servers, connections, clients. */
export interface EventTarget {
  /** Adds `listener` to `event`; disposing the subscription removes it. */
  on(event: never, listener: never): RpcSubscription;
}

/**
 * The `event` events of an `@rpc` object as an Observable, each emission the
 * listener's arguments as a tuple (name it as `A`):
 * `fromRpcEvent<[ServerConnection]>(server, 'connect')`,
 * `fromRpcEvent<[ServerConnection, Request]>(server, 'call')`.
 * Unsubscribing removes the listener.
 */
export function fromRpcEvent<A extends unknown[] = unknown[]>(target: EventTarget, event: string): Observable<A> {
  const on = target.on as unknown as (
    this: EventTarget,
    event: string,
    listener: (...args: A) => void,
  ) => RpcSubscription;
  return new Observable<A>((subscriber) => {
    const subscription = on.call(target, event, (...args: A) => subscriber.next(args));
    return () => subscription.dispose();
  });
}

/**
 * The messages of a connection (anything async-iterable: a Msg Connection,
 * a Multiplexer's events) as an Observable: completes when it ends cleanly,
 * errors with the error that ended it.
 */
export function messagesOf<T>(source: AsyncIterable<T>): Observable<T> {
  return from(source);
}

/** Something that keeps the events that are its own and gives back the rest: an RPC::Async server's io(). */
export interface EventKeeper<E> {
  /** Handles `event` if it is this keeper's and returns undefined, else returns it for the next keeper. */
  io(event: E): E | undefined;
}

/**
 * RPC::Async's `$event = $rpc->io($event) or next` as an operator: events
 * `keeper` keeps stop here, the rest go on. Several servers sharing one
 * multiplexer: `messagesOf(mux).pipe(io(rpc1), io(rpc2)).subscribe(other)`.
 */
export function io<E>(keeper: EventKeeper<E>): OperatorFunction<E, E> {
  return (source) =>
    new Observable<E>((subscriber) =>
      source.subscribe({
        next: (event) => {
          const rest = keeper.io(event);
          if (rest !== undefined) subscriber.next(rest);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}
