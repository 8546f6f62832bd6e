// Vite's `?raw` imports give a file's text (a test compares web/public/_headers with the worker's policy).
declare module "*?raw" {
  const text: string;
  export default text;
}
