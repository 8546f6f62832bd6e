import { createOutboundFetch } from "./sandbox/outbound-fetch";

export const outboundFetch = createOutboundFetch;
