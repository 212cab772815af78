/**
 * createTheme: light, dark, or the system's (prefers-color-scheme). The choice is kept in
 * localStorage and applied as `data-theme` on <html>; styles.css does the rest.
 */
import { createStore } from 'solid-js/store';

export type ThemeMode = 'system' | 'light' | 'dark';
export const THEME_KEY = 'parley.theme';
const MODES: readonly ThemeMode[] = ['system', 'light', 'dark'];

interface StorageLike {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
}

export function createTheme(storage: StorageLike | undefined, root: { dataset: DOMStringMap } | undefined) {
  const saved = storage?.getItem(THEME_KEY);
  const [state, setState] = createStore({ mode: (MODES as string[]).includes(saved ?? '') ? (saved as ThemeMode) : 'system' });
  const apply = (mode: ThemeMode) => {
    if (!root) return;
    if (mode === 'system') delete root.dataset.theme;
    else root.dataset.theme = mode;
  };
  apply(state.mode);
  return {
    state,
    set(mode: ThemeMode): void {
      setState('mode', mode);
      apply(mode);
      try {
        storage?.setItem(THEME_KEY, mode);
      } catch {
        // private mode: the choice lasts for this page only
      }
    },
  };
}

export type Theme = ReturnType<typeof createTheme>;
