// jsdom's <dialog> has neither showModal() nor close(): a screen that confirms through a modal dialog opens and
// closes it through these, close firing "close" as a browser does.
export function stubModalDialogs(): void {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.open = true;
  };
  HTMLDialogElement.prototype.close = function close(this: HTMLDialogElement) {
    this.open = false;
    this.dispatchEvent(new Event("close"));
  };
}
