import type { ReactNode } from 'react';

export function NetworkPage(): ReactNode {
  return <h1>network</h1>;
}
