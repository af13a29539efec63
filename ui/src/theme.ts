/** Light or dark; the choice is remembered, the default follows the system setting. */
export type Theme = 'light' | 'dark';

const KEY = 'palisade.theme';

/** The theme to start with: the saved choice, else the system preference. */
export function initialTheme(): Theme {
  const saved = window.localStorage.getItem(KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** Applies a theme to the document (CSS reads `data-theme`) and remembers it. */
export function applyTheme(theme: Theme, remember: boolean): void {
  document.documentElement.dataset['theme'] = theme;
  if (remember) window.localStorage.setItem(KEY, theme);
}
