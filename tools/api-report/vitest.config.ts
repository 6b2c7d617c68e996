import { packageConfig } from '../../vitest.shared.ts';

export default packageConfig({ include: ['src/**/*.test.mjs'] });
