import type { ReactNode } from 'react';

export function AlertsPage(): ReactNode {
  return <h1>alerts</h1>;
}
