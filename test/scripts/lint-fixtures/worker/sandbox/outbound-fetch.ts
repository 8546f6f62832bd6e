export const createOutboundFetch = () => fetch;
