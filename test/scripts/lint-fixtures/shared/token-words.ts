// A pure value both sides may load.
export const TOKEN_WORD = "token";
