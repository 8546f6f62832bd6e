export const THEMES = ["light", "dark"] as const;
export type Theme = (typeof THEMES)[number];

export const THEME_STORAGE_KEY = "outbound-sync:theme";

function isTheme(value: unknown): value is Theme {
  return THEMES.some((theme) => theme === value);
}

// Storage can be unavailable (private mode, blocked cookies); the theme then lasts for the visit only.
function readSaved(storage: Storage | null): Theme | null {
  try {
    const saved = storage?.getItem(THEME_STORAGE_KEY);
    return isTheme(saved) ? saved : null;
  } catch (error) {
    console.warn("Saved theme unavailable", error);
    return null;
  }
}

function safeStorage(win: Window): Storage | null {
  try {
    return win.localStorage;
  } catch (error) {
    console.warn("localStorage unavailable", error);
    return null;
  }
}

export interface ThemeState {
  readonly preference: Theme | null;
  readonly effective: Theme;
  set(theme: Theme): void;
  toggle(): void;
  start(): () => void;
}

// Follows the system colour scheme until the person picks one; the pick is remembered.
export function createThemeState(win: Window): ThemeState {
  const storage = safeStorage(win);
  const query = win.matchMedia?.("(prefers-color-scheme: dark)") ?? null;
  let preference = $state<Theme | null>(readSaved(storage));
  let systemDark = $state(query?.matches ?? false);
  const effective: Theme = $derived(preference ?? (systemDark ? "dark" : "light"));

  function set(theme: Theme): void {
    preference = theme;
    try {
      storage?.setItem(THEME_STORAGE_KEY, theme);
    } catch (error) {
      console.warn("Could not save the theme", error);
    }
  }

  function start(): () => void {
    if (!query) return () => {};
    const onChange = (event: MediaQueryListEvent) => {
      systemDark = event.matches;
    };
    query.addEventListener("change", onChange);
    return () => query.removeEventListener("change", onChange);
  }

  return {
    get preference() {
      return preference;
    },
    get effective() {
      return effective;
    },
    set,
    toggle: () => set(effective === "dark" ? "light" : "dark"),
    start,
  };
}

export const theme = createThemeState(window);
