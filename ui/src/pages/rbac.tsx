import type { ReactNode } from 'react';

export function RbacPage(): ReactNode {
  return <h1>rbac</h1>;
}
