import { definePlugin, UserFacingError } from '@repscope/core';

// Placeholder until the walks experiment lands; it validates but refuses to run.
export default definePlugin({
  name: 'walks',
  version: '0.1.0',
  description: 'walks experiment (not implemented yet)',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  async run() {
    throw new UserFacingError('the walks experiment is not implemented yet', 'E_NOT_IMPLEMENTED');
  },
});
