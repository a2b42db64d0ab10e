import { readFileSync } from 'node:fs';

/** Linux reports /proc/stat times in USER_HZ, which is 100 on every mainstream architecture. */
const MS_PER_TICK = 10;

/**
 * CPU time the whole machine has spent outside idle and I/O wait (user, system, interrupts), ms, from
 * /proc/stat; null where there is no /proc. Interrupts are included because loopback traffic's soft
 * interrupts show up in the processes' own system time too.
 */
export function machineCpuMs(): number | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = fields;
    return (user + nice + system + irq + softirq) * MS_PER_TICK;
  } catch {
    return null;
  }
}
