export * from './edt.js';
export * from './seg.js';
export * from './hc.js';
export * from './cls.js';
