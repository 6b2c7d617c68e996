/**
 * The instance-wide lookup of phone numbers: which tenant, and which of its assistants, a
 * number is bound to. A number belongs to at most one tenant (migration 0009), so an
 * inbound call to it can be routed to its tenant before any tenant is known.
 */
import type { RepoContext } from './context.js';

/** Where a phone number is bound. */
export interface PhoneNumberOwner {
  readonly tenant_id: string;
  readonly assistant_id: string;
}

/** The cross-tenant phone-number lookup (inbound call routing). */
export interface PhoneNumberLookup {
  /** The tenant and live assistant a number (E.164) is bound to; undefined when none. */
  owner(phoneNumber: string): Promise<PhoneNumberOwner | undefined>;
}

/** Creates the {@link PhoneNumberLookup}. */
export function phoneNumberLookup(ctx: RepoContext): PhoneNumberLookup {
  return {
    async owner(phoneNumber) {
      return ctx.db
        .selectFrom('assistant_phone_numbers as p')
        .innerJoin('assistants as a', (join) =>
          join.onRef('a.id', '=', 'p.assistant_id').onRef('a.tenant_id', '=', 'p.tenant_id'),
        )
        .select(['p.tenant_id', 'p.assistant_id'])
        .where('p.phone_number', '=', phoneNumber)
        .where('a.deleted_at', 'is', null)
        .executeTakeFirst();
    },
  };
}
