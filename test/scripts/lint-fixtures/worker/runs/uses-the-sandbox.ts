import { DEMO_SERIALS } from "../sandbox/demo-data";

export const serials = DEMO_SERIALS;
