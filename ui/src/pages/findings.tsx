import type { ReactNode } from 'react';

export function FindingsPage(): ReactNode {
  return <h1>findings</h1>;
}
