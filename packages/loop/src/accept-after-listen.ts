import type { Channel } from './channel.js';

/**
 * Listens through `bind` and hands the channels it accepts to `onChannel`,
 * but never before the promise returned here has resolved and the code
 * awaiting it has run: channels accepted sooner wait for the next `turn` of
 * the loop (a host turn, after every pending promise continuation). So no
 * caller has to buffer channels until it holds its listener.
 */
export async function acceptAfterListen<L>(
  bind: (accept: (channel: Channel) => void) => Promise<L>,
  onChannel: (channel: Channel) => void,
  turn: (task: () => void) => void,
): Promise<L> {
  let early: Channel[] | undefined = [];
  const accept = (channel: Channel): void => {
    if (early === undefined) onChannel(channel);
    else early.push(channel);
  };
  let listener: L;
  try {
    listener = await bind(accept);
  } catch (error) {
    for (const channel of early) channel.destroy();
    throw error;
  }
  turn(() => {
    const held = early ?? [];
    early = undefined;
    for (const channel of held) onChannel(channel);
  });
  return listener;
}
