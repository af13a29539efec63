import { describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

describe('palisade watch: usage errors before anything is opened', () => {
  it.each([
    [['--interval', '1s'], '--interval must be a duration'],
    [['--interval', 'soon'], '--interval must be a duration'],
    [['--debounce', '-1'], '--debounce must be a duration'],
    [['--metrics-listen', '127.0.0.1:99999'], '--metrics-listen must be HOST:PORT'],
    [['--framework', 'nope'], 'nope'],
    [['--retain-scans', '0'], '--retain-scans must be a whole number'],
  ])('%j is exit 2 saying %s', async (args, message) => {
    const io = memoryIO({ cwd: process.cwd(), env: { HOME: '/nonexistent-home' } });
    const code = await main(['watch', ...args], io);
    expect(code).toBe(2);
    expect(io.err()).toContain(message);
  });

  it('teaches with examples in --help', async () => {
    const io = memoryIO({ cwd: process.cwd() });
    await main(['watch', '--help'], io);
    expect(io.out() + io.err()).toContain('palisade watch --policy-report --metrics-listen 127.0.0.1:9090');
  });
});
