import { describe, expect, it } from 'vitest';
import { createToolRegistry } from '@prx-voice/session';
import { demoTools } from './demo-tools.js';

/** 2026-12-04 is a Friday (UTC). */
const FRIDAY_NOON = Date.UTC(2026, 11, 4, 12);

function restaurant(now = FRIDAY_NOON) {
  const tools = new Map(demoTools({ clock: { now: () => now } }).map((t) => [t.name, t]));
  const run = (name: string, args: Record<string, unknown>) => {
    const tool = tools.get(name);
    if (tool === undefined) throw new Error(`no tool ${name}`);
    return tool.handler(args, { signal: new AbortController().signal, callId: 'c' });
  };
  return { tools, run };
}

describe('the demo restaurant’s tools', () => {
  it('register in a session’s tool registry with valid schemas', () => {
    const registry = createToolRegistry();
    for (const tool of demoTools({ clock: { now: () => FRIDAY_NOON } })) registry.register(tool);
    expect(registry.definitions().map((d) => d.name)).toEqual([
      'check_availability',
      'book_table',
      'cancel_booking',
    ]);
  });

  it('check availability on the fixed table plan', async () => {
    const { run } = restaurant();
    const check = (party_size: number, day: string, time: string) =>
      run('check_availability', { party_size, day, time });
    await expect(check(4, 'friday', '19:30')).resolves.toEqual({
      available: true,
      party_size: 4,
      weekday: 'friday',
      time: '19:30',
    });
    await expect(check(2, 'saturday', '20:00')).resolves.toEqual({
      available: false,
      reason: 'full',
      alternatives: ['18:30', '21:00'],
      party_size: 2,
      weekday: 'saturday',
      time: '20:00',
    });
    await expect(check(2, 'monday', '19:00')).resolves.toMatchObject({ reason: 'closed' });
    await expect(check(2, 'friday', '23:00')).resolves.toMatchObject({ reason: 'outside_hours' });
    await expect(check(2, 'friday', '11:45')).resolves.toMatchObject({ reason: 'outside_hours' });
    await expect(check(12, 'friday', '13:00')).resolves.toMatchObject({ reason: 'too_large' });
    // Today and tomorrow on the clock: Friday, then Saturday.
    await expect(check(2, 'today', '13:00')).resolves.toMatchObject({ weekday: 'friday' });
    await expect(check(2, 'tomorrow', '13:00')).resolves.toMatchObject({ weekday: 'saturday' });
    await expect(check(2, 'friday', '7pm')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(check(2, 'friday', '19:10')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('books the smallest suitable table with a derived reference, until the slot is full', async () => {
    const booking = { party_size: 6, day: 'friday', time: '19:30' };
    const first = restaurant();
    const booked = (await first.run('book_table', { ...booking, name: 'Alice' })) as {
      reference: string;
    };
    expect(booked).toMatchObject({ booked: true, name: 'Alice', weekday: 'friday' });
    expect(booked.reference).toMatch(/^RB\d{4}$/);
    // The same booking in another session gets the same reference.
    await expect(restaurant().run('book_table', { ...booking, name: 'Alice' })).resolves.toEqual(
      booked,
    );
    // Friday 7:30 pm has one table for six (or eight): the second party of six gets the eight,
    // the third none.
    const second = (await first.run('book_table', { ...booking, name: 'Bob' })) as {
      reference: string;
    };
    expect(second).toMatchObject({ booked: true });
    expect(second.reference).not.toBe(booked.reference);
    await expect(first.run('book_table', { ...booking, name: 'Carol' })).resolves.toMatchObject({
      booked: false,
      reason: 'full',
    });
    await expect(first.run('check_availability', booking)).resolves.toMatchObject({
      available: false,
    });
    // Cancelling frees the table again.
    await expect(
      first.run('cancel_booking', { reference: booked.reference.toLowerCase() }),
    ).resolves.toEqual({ cancelled: true, reference: booked.reference });
    await expect(first.run('cancel_booking', { reference: booked.reference })).resolves.toEqual({
      cancelled: false,
      reference: booked.reference,
    });
    await expect(first.run('check_availability', booking)).resolves.toMatchObject({
      available: true,
    });
  });
});
