import { describe, expect, it } from 'vitest';
import { servedFunction } from '../../../functions/warm-up.js';

/**
 * The webhook's body front is armed only when this process serves `webhook`, so the target must
 * be read exactly as functions-framework reads it (minimist: the flag wins over the variable).
 */
describe('servedFunction', () => {
  const node = ['node', 'functions-framework'];

  it('reads --target=NAME and --target NAME', () => {
    expect(servedFunction({}, [...node, '--target=webhook'])).toBe('webhook');
    expect(servedFunction({}, [...node, '--target', 'webhook'])).toBe('webhook');
  });

  it('reads FUNCTION_TARGET when there is no flag', () => {
    expect(servedFunction({ FUNCTION_TARGET: 'webhook' }, node)).toBe('webhook');
  });

  it('lets the flag win over FUNCTION_TARGET, as the framework does', () => {
    expect(servedFunction({ FUNCTION_TARGET: 'onImagePush' }, [...node, '--target', 'webhook'])).toBe(
      'webhook',
    );
  });

  it('is undefined for no target or one streamgate does not define', () => {
    expect(servedFunction({}, node)).toBeUndefined();
    expect(servedFunction({ FUNCTION_TARGET: 'somethingElse' }, node)).toBeUndefined();
  });
});
