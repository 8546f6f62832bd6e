import type { TypeFirst } from "./type-first";

export interface TypeSecond {
  previous: TypeFirst | null;
}
