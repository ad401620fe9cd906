import { definePlugin, UserFacingError } from '@repscope/core';

// Placeholder until the inversion experiment lands; it validates but refuses to run.
export default definePlugin({
  name: 'inversion',
  version: '0.1.0',
  description: 'inversion experiment (not implemented yet)',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  async run() {
    throw new UserFacingError('the inversion experiment is not implemented yet', 'E_NOT_IMPLEMENTED');
  },
});
