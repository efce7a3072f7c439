import { describe, expect, it } from 'vitest';
import { HOURS_PER_MONTH, monthlyPrice } from './price';

describe('price', () => {
  it('prices a month of an instance', () => {
    const price = monthlyPrice(
      { currency: 'EUR', vcpuHour: 0.01, memoryGiBHour: 0.004, diskGiBMonth: 0.1 },
      { vcpus: 2, memoryMiB: 512, diskGiB: 10 },
    );
    expect(price).toEqual({ currency: 'EUR', vcpus: 14.6, memory: 1.46, disk: 1, total: 17.06 });
  });

  it('treats missing rates as free', () => {
    expect(monthlyPrice({ currency: 'USD' }, { vcpus: 4, memoryMiB: 4096, diskGiB: 100 }).total).toBe(0);
    expect(HOURS_PER_MONTH).toBe(730);
  });

  it('reads the rates as the plan entity spells them', () => {
    expect(monthlyPrice({ currency: 'EUR', memoryGiBHour: 0.004, diskGiBMonth: 0.1 }, { vcpus: 1, memoryMiB: 512, diskGiB: 10 }).total).toBe(2.46);
  });
});
