import type { ReactNode } from 'react';

export function DriftPage(): ReactNode {
  return <h1>drift</h1>;
}
