export const DEMO_SERIALS = ["A-1"];
