/// <reference types="node" />
import { measure } from "./scale/live";

// The live part of `npm run bench -- scale` on its own: `npm run bench -- live-feed`.
const figures = await measure();
for (const figure of figures) {
  console.log(`${figure.met ? "✓" : "✗"} ${figure.figure}: ${figure.value} ${figure.unit} (target ${figure.target})`);
  console.log(JSON.stringify(figure.detail, null, 2));
}
if (figures.some((figure) => !figure.met)) process.exitCode = 1;
