import { createMemoryCoordinator } from '@prx-voice/storage';
import { describeAdmissionContract } from './admission.contract.js';

describeAdmissionContract('in-process coordination', (clock) => {
  // One in-process coordinator is one process: two "instances" share it.
  const coordinator = createMemoryCoordinator({ clock });
  return Promise.resolve({
    one: coordinator,
    two: coordinator,
    cleanup: () => coordinator.close(),
  });
});
