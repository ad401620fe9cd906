export * from './fixtures';
export * from './mock-hub';
export * from './tmpfs';
export * from './config-fuzz';
export * from './temp-dir';
export * from './peak-rss';
