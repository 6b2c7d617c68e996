import { createMemoryCoordinator } from '@prx-voice/storage';
import { describeAdmissionContract } from './admission.contract.js';

describeAdmissionContract('in-process coordination', (clock) => {
  // One in-process coordinator is one process: two "instances" share it.
  const coordinator = createMemoryCoordinator({ clock });
  const restarted: ReturnType<typeof createMemoryCoordinator>[] = [];
  return Promise.resolve({
    one: coordinator,
    two: coordinator,
    // A new process: a new, empty in-process coordinator.
    emptied: () => {
      const fresh = createMemoryCoordinator({ clock });
      restarted.push(fresh);
      return Promise.resolve(fresh);
    },
    cleanup: async () => {
      await coordinator.close();
      for (const c of restarted) await c.close();
    },
  });
});
