import { definePlugin, UserFacingError } from '@repscope/core';

// Placeholder until the feature-viz experiment lands; it validates but refuses to run.
export default definePlugin({
  name: 'feature-viz',
  version: '0.1.0',
  description: 'feature-viz experiment (not implemented yet)',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  async run() {
    throw new UserFacingError('the feature-viz experiment is not implemented yet', 'E_NOT_IMPLEMENTED');
  },
});
