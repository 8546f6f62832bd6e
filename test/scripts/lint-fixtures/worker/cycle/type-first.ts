import type { TypeSecond } from "./type-second";

export interface TypeFirst {
  next: TypeSecond | null;
}
