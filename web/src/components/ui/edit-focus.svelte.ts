import { tick } from "svelte";

// Each list row's Edit button, so focus returns to it when that row's edit form closes.
export class EditFocus {
  buttons: Record<string, HTMLButtonElement | null> = $state({});

  async back(id: string): Promise<void> {
    await tick();
    this.buttons[id]?.focus();
  }
}
