import type { ReactNode } from 'react';

export function ImagesPage(): ReactNode {
  return <h1>images</h1>;
}
