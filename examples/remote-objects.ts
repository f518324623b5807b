// A remote-object server and a client: Event::RPC's model of classes whose objects live on the server and are
// used through typed proxies. Two proxies of one object, an object returned by a method, an error with its code,
// and releasing objects with `using`.
//
// Run: npx tsx remote-objects.ts
import { Client, RemoteError } from '@rpc/client';
import { Server } from '@rpc/server';

class Account {
  #balance = 0;
  constructor(readonly owner: string) {}
  deposit(amount: number): number {
    if (!(amount > 0)) throw new Error(`cannot deposit ${amount}`);
    this.#balance += amount;
    return this.#balance;
  }
  balance(): number {
    return this.#balance;
  }
  /** A new account holding half of this one's money: the client gets a proxy of it. */
  split(owner: string): Account {
    const other = new Account(owner);
    const half = this.#balance / 2;
    this.#balance -= half;
    other.deposit(half);
    return other;
  }
}

await using server = new Server({
  host: '127.0.0.1',
  port: 0,
  classes: {
    Account: { impl: Account, methods: { new: '_constructor', deposit: 1, balance: 1, split: '_object' } },
  },
});
await server.start();

await using client = new Client({ host: '127.0.0.1', port: server.port });
await client.connect();
const accounts = client.remoteClass<Account, [string]>('Account');

using alice = await accounts.new('alice');
await Promise.all([alice.deposit(10), alice.deposit(20), alice.deposit(30)]); // three calls in flight
using bob = await alice.split('bob');
console.log(`alice ${await alice.balance()}, bob ${await bob.balance()}`);

try {
  await alice.deposit(-5);
} catch (error) {
  if (error instanceof RemoteError) console.log(`${error.code}: ${error.message}`);
}
// Leaving the scope releases both proxies (using), then disconnects and stops the server (await using).

// Output:
// alice 30, bob 30
// RPC_REMOTE: cannot deposit -5
