// The dashboard marks every request it sends, so a run it starts is `manual` with the person's name while
// scripts calling the API stay `api`. Any client can send it: the trigger is a label, not a permission.
export const CLIENT_HEADER = "x-outbound-sync-client";
export const DASHBOARD_CLIENT = "dashboard";
