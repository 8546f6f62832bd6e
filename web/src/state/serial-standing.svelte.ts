import { api, type SerialStanding } from "../lib/api";
import { Resource } from "../lib/resource.svelte";

// One serial's latest outcome on every connection, for the serial the Jobs page is filtered by.
export class SerialStandingState {
  serial = $state("");
  readonly standing = new Resource<SerialStanding>((signal) => api.serialStanding(this.serial, signal));

  show(serial: string): void {
    if (serial === this.serial && this.standing.state.kind !== "idle") return;
    this.serial = serial;
    void this.standing.reload();
  }
}
