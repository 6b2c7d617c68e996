import { createMemoryCoordinator } from '@prx-voice/storage';
import { describeAdmissionContract } from './admission.contract.js';

describeAdmissionContract('in-process coordination', async (clock) => {
  // One in-process coordinator is one process: two "instances" share it.
  const coordinator = createMemoryCoordinator({ clock });
  return { one: coordinator, two: coordinator, cleanup: () => coordinator.close() };
});
