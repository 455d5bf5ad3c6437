import { useEffect, useState } from 'react';

/**
 * The time now, renewed every `intervalMs` while `running` (spinners and elapsed times); a
 * finished screen stops ticking, so only live rows redraw.
 */
export default function useClock(running: boolean, intervalMs = 100): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [running, intervalMs]);
  return now;
}
