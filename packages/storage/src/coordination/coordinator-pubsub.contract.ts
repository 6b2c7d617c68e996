/** Contract: pub/sub — fan-out across instances, asynchronous delivery, unsubscribe, channel isolation. */
import { describe, expect, it } from 'vitest';
import { Inbox } from './coordinator-harness.contract.js';
import type { ContractHarness } from './coordinator-harness.contract.js';

/** Registers the pub/sub tests. */
export function describePubSubContract(harness: () => ContractHarness): void {
  describe('pub/sub', () => {
    it('delivers every message, in order, to every subscriber on every instance', async () => {
      const { coordinator } = harness();
      const second = await harness().second();
      const one = new Inbox<string>();
      const two = new Inbox<string>();
      const three = new Inbox<string>();
      await coordinator.subscribe('room', one.push);
      await coordinator.subscribe('room', two.push);
      await second.subscribe('room', three.push);
      const instances = second === coordinator ? 1 : 2;
      expect(await second.publish('room', 'hello')).toBe(instances);
      expect(await coordinator.publish('room', 'world')).toBe(instances);
      expect(await one.until(2)).toEqual(['hello', 'world']);
      expect(await two.until(2)).toEqual(['hello', 'world']);
      expect(await three.until(2)).toEqual(['hello', 'world']);
    });

    it('never delivers inside publish itself', async () => {
      const { coordinator } = harness();
      const inbox = new Inbox<string>();
      await coordinator.subscribe('async', inbox.push);
      const published = coordinator.publish('async', 'm');
      expect(inbox.items).toEqual([]);
      await published;
      expect(await inbox.until(1)).toEqual(['m']);
    });

    it('stops delivering to an unsubscribed handler and keeps the others', async () => {
      const { coordinator } = harness();
      const gone = new Inbox<string>();
      const stays = new Inbox<string>();
      const unsubscribe = await coordinator.subscribe('ch', gone.push);
      await coordinator.subscribe('ch', stays.push);
      await coordinator.publish('ch', 'before');
      await gone.until(1);
      await stays.until(1);
      await unsubscribe();
      await unsubscribe(); // idempotent
      await coordinator.publish('ch', 'after');
      await coordinator.publish('ch', 'marker');
      // `stays` saw the marker, so any delivery of the earlier messages has happened.
      expect(await stays.until(3)).toEqual(['before', 'after', 'marker']);
      expect(gone.items).toEqual(['before']);
    });

    it('counts no receivers once the last handler left', async () => {
      const { coordinator } = harness();
      const inbox = new Inbox<string>();
      const unsubscribe = await coordinator.subscribe('lonely', inbox.push);
      expect(await coordinator.publish('lonely', 'a')).toBe(1);
      await inbox.until(1);
      await unsubscribe();
      expect(await coordinator.publish('lonely', 'b')).toBe(0);
      expect(await coordinator.publish('nobody-listens', 'c')).toBe(0);
    });

    it('treats one handler subscribed twice as two subscriptions', async () => {
      const { coordinator } = harness();
      const inbox = new Inbox<string>();
      const first = await coordinator.subscribe('twice', inbox.push);
      await coordinator.subscribe('twice', inbox.push);
      await coordinator.publish('twice', 'x');
      expect(await inbox.until(2)).toEqual(['x', 'x']);
      await first();
      await coordinator.publish('twice', 'y');
      await coordinator.publish('twice', 'z');
      expect(await inbox.until(4)).toEqual(['x', 'x', 'y', 'z']);
    });

    it('keeps channels apart, including names that share a prefix', async () => {
      const { coordinator } = harness();
      const second = await harness().second();
      const room = new Inbox<string>();
      const roomOne = new Inbox<string>();
      const other = new Inbox<string>();
      await second.subscribe('room', room.push);
      await second.subscribe('room:1', roomOne.push);
      await second.subscribe('other', other.push);
      await coordinator.publish('room:1', 'for room:1');
      await coordinator.publish('room', 'for room');
      await coordinator.publish('ro*', 'for a pattern');
      await coordinator.publish('other', 'marker');
      await coordinator.publish('room', 'marker');
      await coordinator.publish('room:1', 'marker');
      expect(await other.until(1)).toEqual(['marker']);
      expect(await room.until(2)).toEqual(['for room', 'marker']);
      expect(await roomOne.until(2)).toEqual(['for room:1', 'marker']);
    });

    it('keeps delivering to other handlers when one throws', async () => {
      const { coordinator } = harness();
      const inbox = new Inbox<string>();
      await coordinator.subscribe('faulty', () => {
        throw new Error('handler bug');
      });
      await coordinator.subscribe('faulty', inbox.push);
      await coordinator.publish('faulty', 'one');
      await coordinator.publish('faulty', 'two');
      expect(await inbox.until(2)).toEqual(['one', 'two']);
    });
  });
}
