/** Settings resolution (flags, environment, defaults). */
export * from './config.ts';
